"""Outlook's per-mailbox limits, as a seam: how many requests may be in flight, and when a mailbox may be asked again.

Outlook counts concurrent requests per app and mailbox (4), and a 429 with `Retry-After` says when that mailbox
may be asked again. Both facts belong to the app, not to one process: with several worker processes the slots
and the pauses must be shared. `GraphHttp` only talks to the `MailboxSlots` protocol below; `LocalMailboxSlots`
keeps them in this process (one process, SQLite), and `storage.mailbox_slots.PostgresMailboxSlots` keeps them in
PostgreSQL for every process at once (app.py picks one by the database).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

OUTLOOK_CONCURRENCY_PER_MAILBOX = 4


class MailboxSlots(Protocol):
    def slot(self, mailbox_key: str) -> AbstractAsyncContextManager[None]:
        """Waits until the mailbox is not paused and one of its slots is free, and holds that slot for the block."""
        ...

    async def pause(self, mailbox_key: str, seconds: float) -> None:
        """No slot of this mailbox is handed out for `seconds` from now (a pause already longer is kept)."""
        ...

    async def aclose(self) -> None: ...


class LocalMailboxSlots:
    """Slots and pauses in this process only: right for one process, and the per-process gate of the shared ones."""

    def __init__(self, per_mailbox: int = OUTLOOK_CONCURRENCY_PER_MAILBOX) -> None:
        self.per_mailbox = per_mailbox
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._paused_until: dict[str, float] = {}  # time.monotonic() deadlines

    def semaphore(self, mailbox_key: str) -> asyncio.Semaphore:
        key = mailbox_key.lower()
        semaphore = self._semaphores.get(key)
        if semaphore is None:
            semaphore = self._semaphores[key] = asyncio.Semaphore(self.per_mailbox)
        return semaphore

    async def wait_out_pause(self, mailbox_key: str) -> None:
        key = mailbox_key.lower()
        remaining = self._paused_until.get(key, 0.0) - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)
            await self.wait_out_pause(key)  # a longer pause may have been set meanwhile
            return
        self._paused_until.pop(key, None)

    @asynccontextmanager
    async def slot(self, mailbox_key: str) -> AsyncIterator[None]:
        await self.wait_out_pause(mailbox_key)
        async with self.semaphore(mailbox_key):
            yield

    async def pause(self, mailbox_key: str, seconds: float) -> None:
        key = mailbox_key.lower()
        self._paused_until[key] = max(self._paused_until.get(key, 0.0), time.monotonic() + seconds)

    async def aclose(self) -> None:
        return None
