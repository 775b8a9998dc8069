"""The parameters of a generation run, validated once, with errors that name the field."""

from __future__ import annotations

import math
import os
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from api_registry.sources import RegistrySources
from apigen.llm import Endpoint
from apigen.models import Style

SIMULATED_KEY = "simulated-no-key"  # the simulator accepts anything; this is not a secret
API_KEY_ENV = "APIGEN_LLM_API_KEY"


class LLMConfig(BaseModel):
    """An endpoint without its secret: safe to pass as a flow parameter, to log and to hash.

    Either ``model`` (the key then comes from APIGEN_LLM_API_KEY or the provider's usual variable) or
    ``block``, the name of an ``LLMEndpoint`` block that holds model, endpoint, key and limits; the
    block is loaded inside the task that calls the model.
    """

    model_config = ConfigDict(frozen=True)
    model: str | None = None
    block: str | None = None
    api_base: str | None = None
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(4096, ge=16)
    timeout_s: float = Field(60.0, gt=0)
    concurrency: int = Field(8, ge=1, le=512)
    rpm: int | None = Field(None, ge=1)
    max_attempts: int = Field(6, ge=1, le=20)
    structured: Literal["auto", "json_schema", "json", "off"] = "auto"  # constrained JSON replies
    simulated: bool = False
    # Limits shared by every process through Prefect global concurrency limits; None: only in a Dask worker.
    cluster_limit: bool | None = None
    judge_batch: int = Field(1, ge=1, le=32)  # as a judge: samples judged in one request (1, as in the paper)

    @model_validator(mode="after")
    def _model_or_block(self) -> "LLMConfig":
        if not self.model and not self.block:
            raise ValueError("give a model or the name of an LLMEndpoint block")
        return self

    @property
    def label(self) -> str:
        """How outputs name this model (never the key)."""
        return self.model or f"block:{self.block}"

    def identity(self) -> str:
        """What determines the replies (cache key part): not concurrency, timeouts or retry budgets."""
        base = f"{self.label}|{self.api_base}|{self.temperature}|{self.max_tokens}|{self.structured}|{self.simulated}"
        if self.judge_batch == 1:  # the single judge prompt's version is in prompt_version(); keys of k=1 unchanged
            return base
        from prompts import load_template

        versions = ",".join(load_template(n).version for n in ("judge_batch", "judge_batch_sample"))
        return f"{base}|judge_batch={self.judge_batch}:{versions}"

    def _cluster_limit(self) -> bool:
        from apigen.global_limits import in_dask_worker

        return self.cluster_limit if self.cluster_limit is not None else in_dask_worker()

    def endpoint(self) -> Endpoint:
        """The callable endpoint; the key is read here, at call time, never carried in parameters."""
        if self.block:
            from blocks.llm import LLMEndpoint

            block = LLMEndpoint.load(self.block)
            return Endpoint(model=block.model, api_base=block.api_base, api_key=block.api_key,
                            temperature=block.temperature, max_tokens=block.max_tokens, timeout_s=block.timeout_s,
                            concurrency=block.concurrency, rpm=block.rpm, max_attempts=self.max_attempts,
                            structured=self.structured, cluster_limit=self._cluster_limit())
        key = SIMULATED_KEY if self.simulated else os.environ.get(API_KEY_ENV)
        return Endpoint(model=self.model, api_base=self.api_base, api_key=SecretStr(key) if key else None,
                        temperature=self.temperature, max_tokens=self.max_tokens, timeout_s=self.timeout_s,
                        concurrency=self.concurrency, rpm=self.rpm, max_attempts=self.max_attempts,
                        structured=self.structured, cluster_limit=self._cluster_limit())


class ExecutionSettings(BaseModel):
    """How stage 2 runs: which APIs exist, sandbox size, per-call timeout, where REST keys come from."""

    model_config = ConfigDict(frozen=True)
    registry: RegistrySources = RegistrySources()
    workers: int = Field(2, ge=1, le=64)
    timeout_s: float = Field(5.0, gt=0)
    mcp_timeout_s: float = Field(30.0, gt=0)  # per tools/call on an MCP server (a real server may be slower)
    credentials_block: str | None = None  # name of an ApiCredentials block, loaded at call time
    rest_cache_dir: str | None = None     # where REST responses are cached; None: APIGEN_CACHE_DIR or ~/.cache/apigen
    # Names of environment variables sandboxed functions may see besides PATH, locale and TZ (never their values).
    sandbox_env: tuple[str, ...] = ()

    @field_validator("sandbox_env", mode="before")
    @classmethod
    def _env_names(cls, value: object) -> object:
        names = [v for v in value.replace(",", " ").split() if v] if isinstance(value, str) else list(value or ())
        bad = [n for n in names if not isinstance(n, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)]
        if bad:
            raise ValueError(f"not environment variable names: {', '.join(map(str, bad))}")
        return tuple(dict.fromkeys(names))

    def resolved_rest_cache_dir(self) -> str:
        base = os.environ.get("APIGEN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "apigen")
        return self.rest_cache_dir or os.path.join(base, "rest")


class RunConfig(BaseModel):
    model_config = ConfigDict(frozen=True)
    n: int = Field(200, ge=1, description="query/answer pairs to generate")
    generator: LLMConfig
    judge: LLMConfig
    styles: tuple[Style, ...] = tuple(Style)
    # Share of the pairs planned as no_call requests, when no_call is among ``styles`` (see RequestPlanner).
    no_call_share: float = Field(0.1, ge=0, le=1)
    seed: int = 0
    examples_from: str | None = None        # few-shot pool from an earlier run's verified output
    out: str = "out"                       # a local path or an s3:// URL
    store_block: str | None = None          # a DatasetStore block: output URL and storage options
    result_storage: str | None = None       # where task results are persisted for resume (path or s3:// URL)
    task_runner: Literal["threads", "dask"] = "threads"
    dask_workers: int = Field(2, ge=1, le=256)
    dask_address: str | None = None         # an existing Dask scheduler; None starts a local cluster
    batch_size: int = Field(50, ge=1, le=5000, description="samples per batch task")
    pairs_per_request: int = Field(4, ge=1, le=20)
    execution: ExecutionSettings = ExecutionSettings()
    formats: tuple[str, ...] = ("xlam",)     # export formats (apigen.exporters.FORMATS); xlam always written
    # apigen.dedup: duplicates and benchmark questions among the verified pairs, across the whole run
    dedup: bool = True
    near_dup_threshold: float = Field(0.8, gt=0, le=1, description="MinHash Jaccard of word 3-grams")
    decontaminate: tuple[str, ...] = ()     # benchmark question files (BFCL, xlam layout, text)
    bundled_decontamination: bool = True    # the bundled BFCL v4 questions

    @field_validator("formats", mode="before")
    @classmethod
    def _formats(cls, value: object) -> tuple[str, ...]:
        from apigen.exporters import parse_formats

        return parse_formats(value)

    @field_validator("styles", mode="before")
    @classmethod
    def _styles(cls, value: object) -> object:
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split() if v]
        if not value:
            raise ValueError("at least one style is needed")
        allowed = [s.value for s in Style]
        for item in value:
            if str(getattr(item, "value", item)) not in allowed:
                raise ValueError(f"unknown style {item!r}; choose from {', '.join(allowed)}")
        return tuple(Style(getattr(v, "value", v)) for v in value)

    @model_validator(mode="after")
    def _no_call_only(self) -> "RunConfig":
        if self.styles == (Style.NO_CALL,) and self.no_call_share == 0:
            raise ValueError("styles lists only no_call and no_call_share is 0: nothing to generate")
        return self

    @property
    def request_count(self) -> int:
        return math.ceil(self.n / self.pairs_per_request)

    @property
    def requests_per_batch(self) -> int:
        return max(1, math.ceil(self.batch_size / self.pairs_per_request))

    @property
    def batch_count(self) -> int:
        return math.ceil(self.request_count / self.requests_per_batch)

    def batch_pairs(self, index: int) -> int:
        """The pairs batch ``index`` asks for: its requests times the pairs per request, the last one short
        (as the planner counts them; a batch of 50 at 4 pairs per request asks for 52)."""
        per_batch = self.requests_per_batch * self.pairs_per_request
        return max(0, min(per_batch, self.n - index * per_batch))
