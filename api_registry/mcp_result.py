"""Turn an MCP ``tools/call`` reply into the plain value the judge and the exports see.

The reply is untrusted. Structured content (a tool with an output schema) is the result as given;
otherwise text parts are the result, a text that is strict JSON read as JSON (servers such as
``mcp-server-time`` answer that way). Images, audio and resources are described, not copied: a
base64 blob is no use to a judge and would bloat every row. Text is bounded per result.
"""

from __future__ import annotations

from typing import Any

from apigen.safe_json import UntrustedJSONError, loads_strict, scrub_surrogates

MAX_TEXT_CHARS = 20_000


def result_value(reply: Any) -> Any:
    """The value of a successful reply: structured content, else its parts (one part: that part alone)."""
    structured = getattr(reply, "structured_content", None)
    if isinstance(structured, dict):
        return _bounded(structured)
    parts = [_part(p) for p in getattr(reply, "content", None) or ()]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts


def error_text(reply: Any) -> str:
    """What a reply with ``isError: true`` says, as one bounded line of text for the verdict."""
    texts = [str(getattr(p, "text", "")) for p in getattr(reply, "content", None) or () if getattr(p, "text", None)]
    text = " ".join(" ".join(texts).split()) or "the server reported an error without text"
    return text[:500]


def _part(part: Any) -> Any:
    kind = getattr(part, "type", None)
    if kind == "text":
        text = str(getattr(part, "text", ""))
        try:
            return _bounded(loads_strict(text)) if len(text) <= MAX_TEXT_CHARS else _clip(text)
        except (UntrustedJSONError, ValueError, RecursionError):
            return _clip(text)
    if kind in ("image", "audio"):
        data = getattr(part, "data", "") or ""
        return {"type": kind, "mime_type": getattr(part, "mime_type", None), "base64_chars": len(data)}
    if kind == "resource_link":
        return {"type": kind, "uri": str(getattr(part, "uri", "")), "name": getattr(part, "name", None)}
    if kind == "resource":
        resource = getattr(part, "resource", None)
        text = getattr(resource, "text", None)
        return {"type": kind, "uri": str(getattr(resource, "uri", "")),
                **({"text": _clip(str(text))} if text is not None else {"blob_chars": len(getattr(resource, "blob", "") or "")})}
    return {"type": str(kind)[:40]}


def _clip(text: str) -> str:
    text = scrub_surrogates(text)
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + f"... [{len(text) - MAX_TEXT_CHARS} more chars]"


def _bounded(value: Any) -> Any:
    """A structured value whose JSON text is within bounds, else its text clipped (still a faithful prefix)."""
    import json

    value = scrub_surrogates(value)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return value if len(text) <= MAX_TEXT_CHARS else _clip(text)
