"""The bundled function library: one module per category, each function marked with ``@api``."""
