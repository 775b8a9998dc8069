"""``DatasetStore``: where a run writes its dataset (and may persist task results), with its credentials."""

from __future__ import annotations

from typing import Any

from prefect.blocks.core import Block
from prefect.types import SecretDict
from pydantic import Field, model_validator

from apigen import redaction


class DatasetStore(Block):
    """A local path or an fsspec URL (``s3://bucket/prefix``) plus storage options.

    The options (e.g. ``{"key": ..., "secret": ..., "client_kwargs": {"endpoint_url": ...}}`` for S3)
    are stored as secrets and handed to fsspec/s3fs only inside the task that writes.
    """

    _block_type_name = "APIGen Dataset Store"
    _block_type_slug = "apigen-dataset-store"
    _description = "Output location for apigen datasets (local path or s3:// URL) and its storage options."

    url: str = Field(description="a local path or an fsspec URL such as s3://bucket/datasets/run1")
    storage_options: SecretDict = Field(default_factory=lambda: SecretDict({}),
                                        description="fsspec storage options (credentials, endpoint)")

    @model_validator(mode="after")
    def _known_to_the_redactor(self) -> "DatasetStore":
        """Loaded credentials are masked in every text the process stores or logs (s3 errors quote them)."""
        redaction.register_named(self.storage_options)
        return self

    def options(self) -> dict[str, Any]:
        return dict(self.storage_options.get_secret_value())
