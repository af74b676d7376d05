"""botbuilder's `Storage` over our database, so ConversationState survives restarts and lives in SQLite or
PostgreSQL, never in memory.

Optimistic concurrency follows botbuilder's convention: each stored dict carries an `e_tag`; a write with a
stale e_tag fails, `"*"` overwrites, and a write without one succeeds only if nobody created the item
meanwhile (so two first writers cannot silently overwrite each other).
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import ConversationState, Storage, TurnContext

from dialogs.context import tenant_of
from storage.state_store import StateStore


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
            new_etag = await self._store.write(key, document, expected_etag=expected, tenant_id=_tenant_of(key))
            if isinstance(value, dict):
                value["e_tag"] = new_etag

    async def delete(self, keys: list[str]) -> None:
        if keys:
            await self._store.delete(list(keys))


class TenantConversationState(ConversationState):
    """Conversation state whose key names the tenant, so every state row is keyed by tenant too."""

    def get_storage_key(self, turn_context: TurnContext) -> str:
        activity = turn_context.activity
        tenant_id = tenant_of(activity) or "none"
        return f"{activity.channel_id}/tenants/{tenant_id}/conversations/{activity.conversation.id}"


def _tenant_of(key: str) -> str | None:
    parts = key.split("/")
    if len(parts) >= 3 and parts[1] == "tenants" and parts[2] != "none":
        return parts[2]
    return None
