"""Every look at or change of someone's calendar is listed for them (`privacy`): one helper for all callers."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TypeVar

from graph.errors import AuthProblem
from storage.database import Database
from storage.repositories import GraphCallRepository

T = TypeVar("T")


async def recorded(db: Database, tenant_id: str, about: Iterable[str], kind: str, reason: str,
                   call: Awaitable[T]) -> T:
    """Awaits the Graph call and records it for each person (object id) it concerns. A call stopped before it
    reached Microsoft (no token: not connected, consent missing) is not recorded, so the list holds only
    look-ups that happened."""
    reached_graph = True
    try:
        return await call
    except AuthProblem:
        reached_graph = False
        raise
    finally:
        if reached_graph:
            calls = GraphCallRepository(db, tenant_id)
            for oid in about:
                await calls.record(oid, kind, reason)
