"""botbuilder's `Storage` over our database, so ConversationState survives restarts and lives in SQLite or
PostgreSQL, never in memory.

Optimistic concurrency follows botbuilder's convention: each stored dict carries an `e_tag`; a write with a
stale e_tag fails, `"*"` overwrites, and a write without one succeeds only if nobody created the item
meanwhile (so two first writers cannot silently overwrite each other).

Two turns of one chat at the same moment (two searches, a double click, a second device) both read the
state, both change it, and the second write conflicts. Neither turn's work may be lost, so the conversation
state then merges: it reads what the first turn stored and re-applies its own changes on top (a three-way
merge against what it had read), and writes again.
"""

from __future__ import annotations

import copy
from typing import Any

from botbuilder.core import ConversationState, Storage, TurnContext

from dialogs.context import tenant_of
from storage.state_store import ETagConflict, StateStore

_MERGE_ATTEMPTS = 5  # each retry follows a write that succeeded, so this many concurrent turns of one chat
_READ_KEY = "rendezvous.state_as_read"
_ABSENT = object()


class SqlBotStorage(Storage):
    def __init__(self, store: StateStore) -> None:
        self._store = store

    async def read(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        found = await self._store.read(list(keys))
        return {key: {**item.document, "e_tag": item.etag} for key, item in found.items()}

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise ValueError("changes are required when writing")
        for key, value in changes.items():
            document = dict(value) if isinstance(value, dict) else dict(vars(value))
            expected = document.pop("e_tag", None) or None
            new_etag = await self._store.write(key, document, expected_etag=expected, tenant_id=storage_key_tenant(key))
            if isinstance(value, dict):
                value["e_tag"] = new_etag

    async def delete(self, keys: list[str]) -> None:
        if keys:
            await self._store.delete(list(keys))


class TenantConversationState(ConversationState):
    """Conversation state whose key names the tenant, so every state row is keyed by tenant too, and whose
    concurrent saves merge instead of dropping one turn's changes."""

    def get_storage_key(self, turn_context: TurnContext) -> str:
        activity = turn_context.activity
        tenant_id = tenant_of(activity) or "none"
        return f"{activity.channel_id}/tenants/{tenant_id}/conversations/{activity.conversation.id}"

    async def load(self, turn_context: TurnContext, force: bool = False) -> None:
        # Storage is read once per turn unless forced. botbuilder reads again whenever the cached state is
        # still empty (a new chat), e.g. when a property's default is set. If another turn saved in between,
        # that second read would become this turn's baseline and this turn's default would replace what the
        # other turn added, with no conflict to merge on.
        if self.get_cached_state(turn_context) is not None and not force:
            return
        await super().load(turn_context, force)
        turn_context.turn_state[_READ_KEY] = _without_etag(self.get_cached_state(turn_context).state)

    async def save_changes(self, turn_context: TurnContext, force: bool = False) -> None:
        """Saves; on a conflict merges this turn's changes into what the other turn stored and saves again.

        Raises ETagConflict only when other turns kept winning _MERGE_ATTEMPTS times in a row."""
        for attempt in range(_MERGE_ATTEMPTS):
            try:
                await super().save_changes(turn_context, force)
            except ETagConflict:
                if attempt + 1 == _MERGE_ATTEMPTS:
                    raise
                await self._merge_with_stored(turn_context)
                force = True
            else:
                cached = self.get_cached_state(turn_context)
                if cached is not None:
                    turn_context.turn_state[_READ_KEY] = _without_etag(cached.state)
                return

    async def _merge_with_stored(self, turn_context: TurnContext) -> None:
        key = self.get_storage_key(turn_context)
        stored = (await self._storage.read([key])).get(key) or {}
        cached = self.get_cached_state(turn_context)
        ours = cached.state
        theirs = _without_etag(stored)
        merged = merge_changes(turn_context.turn_state.get(_READ_KEY, {}), theirs, _without_etag(ours))
        ours.clear()
        ours.update(merged if isinstance(merged, dict) else {})
        ours["e_tag"] = stored.get("e_tag")  # None when the other turn deleted it: then we create it again
        turn_context.turn_state[_READ_KEY] = theirs


def merge_changes(read: Any, theirs: Any, ours: Any) -> Any:
    """Three-way merge of JSON-like values: what this turn read, what another turn stored since, and what this
    turn has now. A value only one side changed takes that side's change; objects changed on both sides merge
    key by key (so searches added by two turns are both kept, and one removed by either side stays removed);
    anything else changed on both sides takes this turn's value. `_ABSENT` stands for a missing key.
    """
    if _same(ours, read):
        return theirs
    if _same(theirs, read) or theirs is _ABSENT:
        return ours
    if isinstance(ours, dict) and isinstance(theirs, dict):
        base = read if isinstance(read, dict) else {}
        merged = {}
        for key in {**theirs, **ours}:
            value = merge_changes(base.get(key, _ABSENT), theirs.get(key, _ABSENT), ours.get(key, _ABSENT))
            if value is not _ABSENT:
                merged[key] = value
        return merged
    return ours


def _same(left: Any, right: Any) -> bool:
    if left is _ABSENT or right is _ABSENT:
        return left is right
    return bool(left == right)


def _without_etag(state: dict[str, Any] | None) -> dict[str, Any]:
    return {key: copy.deepcopy(value) for key, value in (state or {}).items() if key != "e_tag"}


def storage_key_tenant(key: str) -> str | None:
    """The tenant a state key names ("msteams/tenants/<id>/conversations/<id>"), or None."""
    parts = key.split("/")
    if len(parts) >= 3 and parts[1] == "tenants" and parts[2] != "none":
        return parts[2]
    return None
