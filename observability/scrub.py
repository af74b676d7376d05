"""What may leave the process in a span: no address, mailbox path, event id, query string or client IP.

Instrumentations record what they see: httpx and requests the full URL (`/users/adele@contoso.com/events/AAMk…`),
aiohttp the request target with its query (a sign-in callback's `?code=…&state=…`), the peer's IP address.
Every span is rewritten here before an exporter sees it, so a new instrumentation or attribute cannot leak
past the rules below. Pure functions; the SDK glue is in `observability/sdk.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# Attributes that hold a URL or a path: templated and stripped of their query.
URL_ATTRIBUTES = frozenset({"url.full", "http.url", "http.target", "url.path", "http.route.path"})
# Attributes whose whole value is personal or secret: dropped.
DROPPED_ATTRIBUTES = frozenset({
    "url.query",  # sign-in codes, $filter values, calendarView windows
    "client.address", "net.peer.ip", "http.client_ip", "net.sock.peer.addr", "network.peer.address",
    "user.id", "user.email", "user.name", "enduser.id",
})
# The path segment after one of these names a person, a mailbox, an item or a chat (Graph and the Bot Connector).
IDENTIFYING_PARENTS = frozenset({
    "users", "events", "calendars", "groups", "messages", "conversations", "activities", "members", "attachments",
})
PLACEHOLDER = "{id}"
_EMAIL = re.compile(r"[^\s@/?#&=:;,\"'<>()\[\]]+@[^\s@/?#&=:;,\"'<>()\[\]]+\.[A-Za-z]{2,}")
_EMAIL_PLACEHOLDER = "{address}"


def scrub_path(path: str) -> str:
    """`/v1.0/users/adele@contoso.com/events/AAMk=/decline?x=1` -> `/v1.0/users/{id}/events/{id}/decline`."""
    parts = path.split("?", 1)[0].split("#", 1)[0].split("/")
    for index in range(1, len(parts)):
        if parts[index - 1].lower() in IDENTIFYING_PARENTS and parts[index]:
            parts[index] = PLACEHOLDER
        elif "@" in parts[index]:  # an address in any other position, e.g. OData's users('a@b.c')
            parts[index] = PLACEHOLDER
    return "/".join(parts)


def scrub_url(value: str) -> str:
    """A URL or a bare path, templated by `scrub_path`, without query, fragment or credentials."""
    if value.startswith("/"):
        return scrub_path(value)
    split = urlsplit(value)
    if not split.scheme:
        return scrub_text(scrub_path(value))
    host = split.hostname or ""
    netloc = f"{host}:{split.port}" if split.port else host
    return urlunsplit((split.scheme, netloc, scrub_path(split.path), "", ""))


def scrub_text(value: str) -> str:
    """Free text (a status description, an exception message) with every email address replaced."""
    return _EMAIL.sub(_EMAIL_PLACEHOLDER, value)


def scrub_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        return scrub_url(value) if key in URL_ATTRIBUTES else scrub_text(value)
    if isinstance(value, tuple | list):
        return tuple(scrub_value(key, item) for item in value)
    return value


def scrub_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: scrub_value(key, value) for key, value in (attributes or {}).items() if key not in DROPPED_ATTRIBUTES}
