"""The three verification stages (format, execution, semantic), shared by generation and ``apigen verify``."""
