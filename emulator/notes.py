"""What a handler learned about a request (who called, which mailbox), for the call log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web


@dataclass
class RequestNotes:
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_request_id: str = ""
    tenant_id: str | None = None
    app_id: str | None = None
    user_id: str | None = None
    mailbox: str | None = None
    body: Any = None
    fault_delay: float = 0.0
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


NOTES = web.RequestKey("emulator_notes", RequestNotes)


def notes(request: web.Request) -> RequestNotes:
    """The request's notes, created on first use (the middleware normally creates them)."""
    if NOTES not in request:
        request[NOTES] = RequestNotes()
    return request[NOTES]
