"""Subjects and notes do not wait in the database for a person who never comes back.

A conversation's state is pruned whenever that chat has a turn (dialogs/booking_state.py). This sweep does
the same for conversations nobody has written to since ABANDONED_AFTER, at start-up and then every
SWEEP_INTERVAL: abandoned searches lose their subject and note, old ones are forgotten. A write that races a
live turn of the same chat loses (compare-and-swap) and is simply left to that turn, which prunes too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from dialogs.booking_state import ABANDONED_AFTER, prune_document
from dialogs.bot_storage import storage_key_tenant
from storage.repositories import ConsentRepository
from storage.state_store import ETagConflict, StateStore

log = logging.getLogger(__name__)

SWEEP_INTERVAL = timedelta(minutes=10)
# A used or expired sign-in link still answers "expired" or "already used" (rather than "unknown") for a day.
CONSENT_KEPT_AFTER_EXPIRY = timedelta(days=1)


async def prune_idle_conversations(store: StateStore, now: datetime) -> int:
    """Prunes every conversation idle since ABANDONED_AFTER; returns how many documents changed."""
    changed = 0
    for key, stored in (await store.idle(now - ABANDONED_AFTER)).items():
        document = dict(stored.document)
        if not prune_document(document, now):
            continue
        try:
            await store.write(key, document, expected_etag=stored.etag, tenant_id=storage_key_tenant(key))
        except ETagConflict:
            continue  # a turn of that chat wrote meanwhile, and pruned as it did
        changed += 1
    return changed


class IdleConversationPruner:
    """Runs prune_idle_conversations at start-up and every `interval` until stopped (aiohttp signal handlers:
    `start` goes on on_startup after the database is migrated, `stop` on on_cleanup)."""

    def __init__(self, store: StateStore, interval: timedelta = SWEEP_INTERVAL,
                 consents: ConsentRepository | None = None) -> None:
        self._store = store
        # Sign-in and consent requests a day past their 10 minutes: who asked, and what to continue (a booking's
        # subject and note), go with them, as the privacy statement says.
        self._consents = consents
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self, _: Any = None) -> None:
        self._task = asyncio.create_task(self._sweep_forever())

    async def stop(self, _: Any = None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _sweep_forever(self) -> None:
        while True:
            try:
                now = datetime.now(UTC)
                pruned = await prune_idle_conversations(self._store, now)
                if pruned:
                    log.info("pruned subjects and notes from %d idle conversations", pruned)
                if self._consents is not None:
                    await self._consents.delete_expired(now - CONSENT_KEPT_AFTER_EXPIRY)
            except Exception as exc:  # a database outage must not end the sweeping for good
                log.warning("pruning idle conversations failed: %s", type(exc).__name__)
            await asyncio.sleep(self._interval.total_seconds())
