"""What the HTTP boundary refuses before any of the bot sees it, and the headers its web pages carry.

* `read_json_body`: an activity body is parsed with bounds. Python's json module recurses once per
  nesting level (a deep enough body raises RecursionError) and refuses integers of more than 4,300
  digits with a ValueError; both used to surface as HTTP 500. Here they, NaN/Infinity and floats that
  overflow are a `BodyRefused`, which the caller answers with 400 and a plain reason.
* `add_security_headers`: every page a browser opens (the sign-in and consent callbacks under /auth/,
  the public pages) may not be framed, sniffed, leak its URL as a referrer, or load anything but its
  own inline style. /api/messages, which only the Bot Connector calls, is left as it is.

The body guard serves only /api/messages (app.py) yet lives here with the headers: both are the HTTP
boundary's own rules, plain aiohttp and JSON with nothing of botbuilder or the bot, and tests of the
boundary find them in one place; app.py keeps only what needs botbuilder.
"""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web

# Teams activities nest a handful of levels (activity > value > action > data); Adaptive Card data a few
# more. 64 is far beyond any of them and far below the interpreter's recursion limit.
MAX_JSON_DEPTH = 64
# Teams sends ids as strings; the only numbers are small (offsets, counts).
MAX_INTEGER_DIGITS = 64
API_PREFIX = "/api/"
SECURITY_HEADERS = {
    # No scripts, frames, images, fonts or connections; only the pages' own inline style.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "X-Content-Type-Options": "nosniff",
    # Callback URLs carry an authorization code or a single-use state: never pass them on as a referrer.
    "Referrer-Policy": "no-referrer",
}


class BodyRefused(ValueError):
    """The body cannot be an activity; the message says why in words a developer understands."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise BodyRefused(f"The body holds a number longer than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyRefused("The body holds a number too large to represent")
    return value


def _not_json(name: str) -> Any:
    raise BodyRefused(f"The body holds {name}, which is not JSON")


def _too_deep(value: Any, limit: int) -> bool:
    """True when containers nest more than `limit` levels (checked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_json_body(raw: bytes) -> Any:
    """The parsed body, or BodyRefused (malformed, too deep, or numbers out of bounds)."""
    try:
        body = json.loads(raw, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_not_json)
    except BodyRefused:
        raise
    except RecursionError:
        raise BodyRefused(f"The body nests more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        raise BodyRefused("The body is not valid JSON") from None
    if _too_deep(body, MAX_JSON_DEPTH):
        raise BodyRefused(f"The body nests more than {MAX_JSON_DEPTH} levels deep")
    return body


async def read_json_body(request: web.Request) -> Any:
    """Reads and parses the request body; a body over the app's client_max_size is aiohttp's 413."""
    return parse_json_body(await request.read())


async def _with_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith(API_PREFIX):
        return
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def add_security_headers(app: web.Application) -> None:
    """On every response but /api/*. Set as each response is prepared, so answers raised as exceptions
    (404, 405, redirects) carry them too, which a middleware would have to catch one by one."""
    app.on_response_prepare.append(_with_security_headers)
