"""``LLMEndpoint``: a model endpoint and its key, loaded by tasks at run time so no secret is a parameter."""

from __future__ import annotations

from prefect.blocks.core import Block
from pydantic import Field, SecretStr, model_validator

from apigen import redaction


class LLMEndpoint(Block):
    """Any litellm-reachable model: ``openai/gpt-4o-mini``, ``anthropic/...``, a vLLM or Ollama server."""

    _block_type_name = "APIGen LLM Endpoint"
    _block_type_slug = "apigen-llm-endpoint"
    _description = "A model for apigen's generator or judge: litellm model name, endpoint, key and limits."

    model: str = Field(description="litellm model name, e.g. openai/gpt-4o-mini")
    api_base: str | None = Field(default=None, description="base URL of an OpenAI-compatible endpoint")
    api_key: SecretStr | None = Field(default=None, description="the provider key (stored as a secret)")
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int = Field(default=4096, ge=16)
    concurrency: int = Field(default=8, ge=1, description="concurrent requests to this endpoint, per process")
    rpm: int | None = Field(default=None, ge=1, description="requests per minute, per process")
    timeout_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _known_to_the_redactor(self) -> "LLMEndpoint":
        """A loaded key is masked in every text the process stores or logs, whatever echoes it."""
        redaction.register(self.api_key)
        return self
