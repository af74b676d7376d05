"""Generic JSON documents under string keys, with optimistic concurrency through an etag.

This is what the bot's conversation and user state are persisted in (the botbuilder `Storage`
adapter over it lives in dialogs/). Every successful write gives the document a new etag.

`write(..., expected_etag=...)` semantics:
  * None    -- create: succeeds only if the key does not exist yet;
  * "*"     -- overwrite unconditionally (create if missing);
  * a value -- compare-and-swap: succeeds only if the stored etag still equals it.
Anything else raises ETagConflict, and the stored document is left as it was.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.database import Database, affected_rows
from storage.models import BOT_STATE_KEY_MAX, BotState, utc_now

logger = logging.getLogger(__name__)

OVERWRITE = "*"


class ETagConflict(Exception):
    """Someone else wrote the document since it was read (or created it first)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"state item {key!r} was changed by another writer")
        self.key = key


@dataclass(frozen=True)
class StoredDocument:
    document: dict[str, Any]
    etag: str


def _check_key(key: str) -> None:
    if not key or len(key) > BOT_STATE_KEY_MAX:
        raise ValueError(f"state keys must be 1 to {BOT_STATE_KEY_MAX} characters long, got {len(key)}")


class StateStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def read(self, keys: Iterable[str]) -> dict[str, StoredDocument]:
        """The documents that exist among `keys`; missing keys are simply absent from the result."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        async with self._db.session() as session:
            rows = await session.execute(
                select(BotState.key, BotState.document, BotState.etag).where(BotState.key.in_(wanted))
            )
            return {key: StoredDocument(document, etag) for key, document, etag in rows}

    async def write(
        self, key: str, document: dict[str, Any], expected_etag: str | None, tenant_id: str | None = None
    ) -> str:
        """Stores `document` under `key` and returns its new etag (see the module doc for expected_etag)."""
        _check_key(key)
        new_etag = uuid.uuid4().hex
        values = {
            "key": key,
            "tenant_id": tenant_id,
            "document": document,
            "etag": new_etag,
            "updated_at": utc_now(),
        }
        if expected_etag == OVERWRITE:
            statement = self._db.upsert(
                BotState, values, ["key"], ["tenant_id", "document", "etag", "updated_at"]
            )
            async with self._db.session() as session:
                await session.execute(statement)
            return new_etag

        if expected_etag is None:
            try:
                async with self._db.session() as session:
                    await session.execute(insert(BotState).values(**values))
            except IntegrityError as exc:
                logger.info("state item create lost a race (etag conflict)")
                raise ETagConflict(key) from exc
            return new_etag

        # Compare-and-swap in one statement: the row changes only if nobody wrote it since our read.
        async with self._db.session() as session:
            result = await session.execute(
                update(BotState)
                .where(BotState.key == key, BotState.etag == expected_etag)
                .values(tenant_id=tenant_id, document=document, etag=new_etag, updated_at=values["updated_at"])
            )
        if affected_rows(result) != 1:
            raise ETagConflict(key)
        return new_etag

    async def idle(self, since: datetime, limit: int = 500) -> dict[str, StoredDocument]:
        """Documents nobody has written since `since` (oldest first, at most `limit`), for housekeeping."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(BotState.key, BotState.document, BotState.etag)
                .where(BotState.updated_at < since).order_by(BotState.updated_at).limit(limit)
            )
            return {key: StoredDocument(document, etag) for key, document, etag in rows}

    async def delete(self, keys: Iterable[str]) -> None:
        """Removes the documents; keys that do not exist are ignored."""
        doomed = list(dict.fromkeys(keys))
        if not doomed:
            return
        async with self._db.session() as session:
            await session.execute(delete(BotState).where(BotState.key.in_(doomed)))
