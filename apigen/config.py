"""The parameters of a generation run, validated once, with errors that name the field."""

from __future__ import annotations

import math
import os

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from api_registry.sources import RegistrySources
from apigen.llm import Endpoint
from apigen.models import Style

SIMULATED_KEY = "simulated-no-key"  # the simulator accepts anything; this is not a secret
API_KEY_ENV = "APIGEN_LLM_API_KEY"


class LLMConfig(BaseModel):
    """An endpoint without its secret: safe to pass as a flow parameter and to log."""

    model_config = ConfigDict(frozen=True)
    model: str
    api_base: str | None = None
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(4096, ge=16)
    timeout_s: float = Field(60.0, gt=0)
    concurrency: int = Field(8, ge=1, le=512)
    max_attempts: int = Field(6, ge=1, le=20)
    simulated: bool = False

    def endpoint(self) -> Endpoint:
        """The callable endpoint; the key is read here, at call time, never carried in parameters."""
        key = SIMULATED_KEY if self.simulated else os.environ.get(API_KEY_ENV)
        return Endpoint(model=self.model, api_base=self.api_base, api_key=SecretStr(key) if key else None,
                        temperature=self.temperature, max_tokens=self.max_tokens, timeout_s=self.timeout_s,
                        concurrency=self.concurrency, max_attempts=self.max_attempts)


class ExecutionSettings(BaseModel):
    """How stage 2 runs: which APIs exist, sandbox size, per-call timeout, where REST keys come from."""

    model_config = ConfigDict(frozen=True)
    registry: RegistrySources = RegistrySources()
    workers: int = Field(2, ge=1, le=64)
    timeout_s: float = Field(5.0, gt=0)
    credentials_block: str | None = None  # name of an ApiCredentials block, loaded at call time
    rest_cache_dir: str | None = None     # where REST responses are cached; None: APIGEN_CACHE_DIR or ~/.cache/apigen

    def resolved_rest_cache_dir(self) -> str:
        base = os.environ.get("APIGEN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "apigen")
        return self.rest_cache_dir or os.path.join(base, "rest")


class RunConfig(BaseModel):
    model_config = ConfigDict(frozen=True)
    n: int = Field(200, ge=1, description="query/answer pairs to generate")
    generator: LLMConfig
    judge: LLMConfig
    styles: tuple[Style, ...] = tuple(Style)
    seed: int = 0
    out: str = "out"
    batch_size: int = Field(50, ge=1, le=5000, description="samples per batch task")
    pairs_per_request: int = Field(4, ge=1, le=20)
    execution: ExecutionSettings = ExecutionSettings()

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

    @property
    def request_count(self) -> int:
        return math.ceil(self.n / self.pairs_per_request)

    @property
    def requests_per_batch(self) -> int:
        return max(1, math.ceil(self.batch_size / self.pairs_per_request))

    @property
    def batch_count(self) -> int:
        return math.ceil(self.request_count / self.requests_per_batch)
