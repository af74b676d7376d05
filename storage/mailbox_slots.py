"""Outlook's per-mailbox concurrency slots and 429 pauses, shared by every process through PostgreSQL.

Implements graph/'s `MailboxSlots` protocol (structurally: storage/ does not import graph/):

* **Slots** are PostgreSQL session advisory locks `(mailbox digest, 0..3)`: a request takes the first free one
  and holds it on a connection of its own for the exchange. One statement both reads the pause and tries the
  locks, so a free slot costs one round trip; when all four are taken the request polls with a growing delay.
  The lock goes with the connection: asyncpg's reset on release runs `pg_advisory_unlock_all()`, and a process
  that dies loses its connections, so a crash never keeps a slot.
* **Pauses** are rows of `mailbox_pauses` (the server's clock decides when they end, so hosts need not agree).
* Within one process an asyncio semaphore per mailbox queues the requests first, so a process never asks the
  database for more slots than the mailbox has, and at most `per_mailbox` of its connections wait per mailbox.

Mailboxes are named by a digest of the key the Graph client gives (tenant and mailbox), never the address.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import URL

logger = logging.getLogger(__name__)

OUTLOOK_CONCURRENCY_PER_MAILBOX = 4
_POLL_FIRST = 0.005
_POLL_MOST = 0.1

# CASE fixes the order: no lock is tried while the mailbox is paused. LIMIT 1 stops at the first lock taken.
_TRY_SLOT = """
WITH pause AS (
    SELECT EXTRACT(EPOCH FROM paused_until - clock_timestamp())::float8 AS seconds
    FROM mailbox_pauses WHERE mailbox_key = $1 AND paused_until > clock_timestamp()
)
SELECT (SELECT seconds FROM pause) AS paused_for,
       (SELECT slot FROM generate_series(0, $3::int - 1) AS slot
        WHERE CASE WHEN EXISTS (SELECT 1 FROM pause) THEN false ELSE pg_try_advisory_lock($2::int, slot) END
        LIMIT 1) AS slot
"""
_PAUSE = """
INSERT INTO mailbox_pauses (mailbox_key, paused_until) VALUES ($1, clock_timestamp() + make_interval(secs => $2))
ON CONFLICT (mailbox_key) DO UPDATE SET paused_until = GREATEST(mailbox_pauses.paused_until, EXCLUDED.paused_until)
"""
# Pauses that ended an hour ago are never read again.
_FORGET_OLD_PAUSES = "DELETE FROM mailbox_pauses WHERE paused_until < clock_timestamp() - interval '1 hour'"


def mailbox_digest(mailbox_key: str) -> str:
    return hashlib.sha256(mailbox_key.lower().encode()).hexdigest()


def _lock_key(digest: str) -> int:
    """The advisory lock's first key: 32 bits of the digest. Two mailboxes that collide share four slots, which
    is stricter than Outlook, never looser."""
    return int.from_bytes(bytes.fromhex(digest[:8]), "big", signed=True)


def asyncpg_dsn(url: URL) -> str:
    """The SQLAlchemy URL as asyncpg wants it."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresMailboxSlots:
    def __init__(self, url: URL, *, per_mailbox: int = OUTLOOK_CONCURRENCY_PER_MAILBOX, timeout: float = 10.0,
                 max_connections: int = 32) -> None:
        self.per_mailbox = per_mailbox
        self._dsn = asyncpg_dsn(url)
        self._timeout = timeout
        self._max_connections = max_connections
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        self._gates: dict[str, asyncio.Semaphore] = {}

    async def _connections(self) -> asyncpg.Pool:
        async with self._pool_lock:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=0, max_size=self._max_connections, timeout=self._timeout,
                    command_timeout=self._timeout)
            return self._pool

    def _gate(self, digest: str) -> asyncio.Semaphore:
        gate = self._gates.get(digest)
        if gate is None:
            gate = self._gates[digest] = asyncio.Semaphore(self.per_mailbox)
        return gate

    @asynccontextmanager
    async def slot(self, mailbox_key: str) -> AsyncIterator[None]:
        digest = mailbox_digest(mailbox_key)
        async with self._gate(digest):
            pool = await self._connections()
            async with pool.acquire() as connection:  # released with pg_advisory_unlock_all(): the slot goes too
                await self._take_slot(connection, digest)
                yield

    async def _take_slot(self, connection: asyncpg.Connection, digest: str) -> None:
        poll = _POLL_FIRST
        while True:
            row = await connection.fetchrow(_TRY_SLOT, digest, _lock_key(digest), self.per_mailbox)
            if row["slot"] is not None:
                return
            if row["paused_for"] is not None:
                await asyncio.sleep(float(row["paused_for"]))
                continue
            # Four requests of other processes are in flight: try again soon, a little later each time.
            await asyncio.sleep(poll * (1 + random.random()))
            poll = min(poll * 2, _POLL_MOST)

    async def pause(self, mailbox_key: str, seconds: float) -> None:
        pool = await self._connections()
        async with pool.acquire() as connection:
            await connection.execute(_PAUSE, mailbox_digest(mailbox_key), float(seconds))
            await connection.execute(_FORGET_OLD_PAUSES)
        logger.info("a mailbox is paused for %.1f s after Outlook throttled it (every process waits)", seconds)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
