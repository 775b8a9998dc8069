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
    concurrency: int = Field(default=8, ge=1, description="concurrent requests to this endpoint: the ceiling of "
                             "the adaptive limit (cluster-wide on Dask)")
    rpm: int | None = Field(default=None, ge=1, description="requests per minute (cluster-wide on Dask)")
    timeout_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _known_to_the_redactor(self) -> "LLMEndpoint":
        """A loaded key is masked in every text the process stores or logs, whatever echoes it."""
        redaction.register(self.api_key)
        return self


# --- cluster-wide limits (Prefect global concurrency limits; names from apigen.global_limits) ----------

async def ensure_global_limits(model: str, api_base: str | None, concurrency: int, rpm: int | None) -> list[str]:
    """Create or update the endpoint's global concurrency limit (and its rpm limit): the names.

    Called by ``apigen blocks register`` for every saved LLMEndpoint and by ``apigen.llm`` on first use
    in a process that needs cluster-wide limits. The values are this run's ceilings (``--concurrency``,
    ``--rpm``); every worker of a run sets the same ones.
    """
    from prefect.client.orchestration import get_client

    from apigen.global_limits import limit_name, rate_limit_shape

    names = [limit_name(model, api_base)]
    async with get_client() as client:
        await _upsert(client, names[0], concurrency, None)
        if rpm:
            slots, decay = rate_limit_shape(rpm, concurrency)
            names.append(limit_name(model, api_base, "rpm"))
            await _upsert(client, names[1], slots, decay)
    return names


async def _upsert(client, name: str, limit: int, decay: float | None) -> None:
    """Create the limit, or set its values: safe when several workers start at once (Prefect's own
    upsert reads first, and two workers would both try to create)."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
    from prefect.exceptions import ObjectAlreadyExists

    values = {"limit": limit, **({"slot_decay_per_second": decay} if decay is not None else {})}
    try:
        await client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, **values))
    except ObjectAlreadyExists:
        existing = await client.read_global_concurrency_limit_by_name(name)
        if existing.limit != limit or (decay is not None and existing.slot_decay_per_second != decay):
            await client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(**values))


def global_slot(name: str):
    """An async context manager holding one slot of the global limit ``name`` (it must exist)."""
    from prefect.concurrency.asyncio import concurrency

    return concurrency(name, occupy=1, strict=True)


async def global_rate(name: str) -> None:
    """Wait for one slot of the rate limit ``name`` (slots decay; nothing to release)."""
    from prefect.concurrency.asyncio import rate_limit

    await rate_limit(name, occupy=1, strict=True)


def register_saved_endpoint_limits() -> list[str]:
    """The global limits of every saved LLMEndpoint block, created or updated: their names."""
    from prefect.client.orchestration import get_client
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def all_limits() -> list[str]:
        async with get_client() as client:
            try:
                documents = await client.read_block_documents_by_type(LLMEndpoint.get_block_type_slug(),
                                                                        include_secrets=False)
            except Exception:  # no block type yet, or none saved
                return []
        names = []
        for document in documents:
            data = document.data
            names += await ensure_global_limits(data["model"], data.get("api_base"), data.get("concurrency") or 8,
                                                data.get("rpm"))
        return names

    return run_coro_as_sync(all_limits())
