"""``ApiCredentials``: per-provider API keys and headers for REST APIs, all stored as secrets."""

from __future__ import annotations

from typing import Any

from prefect.blocks.core import Block
from prefect.types import SecretDict
from pydantic import Field, model_validator

from apigen import redaction


class ApiCredentials(Block):
    """Credential sets by name, e.g. ``{"rapidapi": {"api_key": "..."}, "weather": {"api_key": "..."}}``.

    A REST registry entry names its set (``"credentials": "weather"``); the executor looks the set up
    when it makes the call. Every value is a secret: the UI masks it and it never reaches a result.
    """

    _block_type_name = "APIGen API Credentials"
    _block_type_slug = "apigen-api-credentials"
    _description = "Keys and headers for the REST APIs that apigen executes, by credential-set name."

    sets: SecretDict = Field(default_factory=lambda: SecretDict({}),
                             description="credential-set name -> {field: secret value}")

    @model_validator(mode="after")
    def _known_to_the_redactor(self) -> "ApiCredentials":
        """Loaded keys are masked in every text the process stores or logs (an API may echo them)."""
        redaction.register(self.sets)
        return self

    def lookup(self, name: str) -> dict[str, Any]:
        values = self.sets.get_secret_value()
        if name not in values:
            raise KeyError(name)
        return dict(values[name])
