"""The text a person typed in a chat-style query: its user turns, joined by newlines.

Datasets store a query as text, as a list of messages (``[{"role", "content"}]``) or, in BFCL, as a
list of turns each a list of messages. A message without a role is the user's; anything that is not
a message with text content is left out (rows are untrusted). Text comes back as it is.
"""

from __future__ import annotations

from typing import Any


def user_text(value: Any) -> Any:
    """The user turns of a list of messages (or of turns of messages); any other value unchanged."""
    if not isinstance(value, list):
        return value
    messages = [message for item in value for message in (item if isinstance(item, list) else [item])]
    return "\n".join(m["content"] for m in messages
                     if isinstance(m, dict) and m.get("role", "user") == "user" and isinstance(m.get("content"), str))
