"""Which litellm route a request takes, and the HTTP session of the fast one.

An OpenAI-compatible server at an ``api_base`` (vLLM, llama.cpp, Ollama, a proxy; ``openai/<name>``
with ``--api-base``) goes through litellm's aiohttp provider (``aiohttp_openai/``): the same request
and reply, without the OpenAI SDK's typed request building, httpx and response re-parsing - about
half the client CPU per call, which is what bounds a run at high concurrency on few cores.
Hosted providers keep their own routes. ``APIGEN_OPENAI_SDK=1`` sends everything the usual way.

litellm's aiohttp route turns an HTTP error into status 500 with only the reason phrase (it reads
``status_code`` from aiohttp's error, which calls it ``status``), so a 429 would not back off and a
server's "response_format is not supported" would never be read. The session given to it raises
errors that carry the real status, body and headers, which litellm then maps to its exception
classes as on the SDK route (``llm_errors.classify`` reads them the same way).
"""

from __future__ import annotations

import os
from typing import Any

FAST_PREFIX = "aiohttp_openai/"
ERROR_BODY_CHARS = 4000  # an error body is read up to this many characters (it may be a page of HTML)


def wire_model(model: str, api_base: str | None) -> str:
    """The model name litellm is given: the fast route for an OpenAI-compatible ``api_base``."""
    if api_base and model.startswith("openai/") and not os.environ.get("APIGEN_OPENAI_SDK"):
        return FAST_PREFIX + model.removeprefix("openai/")
    return model


def uses_session(model: str) -> bool:
    return model.startswith(FAST_PREFIX)


class HttpStatusError(Exception):
    """A non-2xx reply, with what litellm's error mapping reads: ``status_code``, ``text``, ``headers``."""

    def __init__(self, status_code: int, text: str, headers: dict[str, str]):
        super().__init__(f"HTTP {status_code}: {text}")
        self.status_code, self.text, self.headers = status_code, text, headers


async def _raise_for_status(response: Any) -> None:
    if response.status < 400:
        return
    try:
        body = (await response.text(errors="replace"))[:ERROR_BODY_CHARS]
    except Exception:  # a body that cannot be read still has its status
        body = response.reason or ""
    raise HttpStatusError(response.status, body or (response.reason or ""), dict(response.headers))


def new_session() -> Any:
    """An aiohttp session for the current event loop: no connection cap (the adaptive limit is the cap),
    no session timeout (each call has its own deadline). Proxies are taken from the environment as httpx
    does when any is set; otherwise aiohttp is not asked to look them (and ~/.netrc) up on every request."""
    import urllib.request

    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, ssl=_ssl_setting()),
        timeout=aiohttp.ClientTimeout(total=None),
        raise_for_status=_raise_for_status,
        trust_env=bool(urllib.request.getproxies()),
    )


def _ssl_setting() -> Any:
    """TLS as litellm's own sessions do it (``SSL_VERIFY``, ``SSL_CERT_FILE``, ``litellm.ssl_verify``,
    certifi's bundle), so an endpoint with a private CA works on this route as on the SDK's."""
    import ssl

    try:
        from litellm.llms.custom_httpx.http_handler import get_ssl_configuration

        setting = get_ssl_configuration()
    except Exception:  # another litellm layout: aiohttp's default verification
        return True
    if isinstance(setting, str):  # a CA bundle path
        return ssl.create_default_context(cafile=setting)
    return setting
