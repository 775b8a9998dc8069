"""Prefect blocks: where endpoints and secrets live, so flows take block *names*, never secrets."""
