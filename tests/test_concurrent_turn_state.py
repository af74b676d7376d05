"""Two turns of one new chat at the same moment: the conversation state keeps what both turns added.

The interleaving that lost a search in tests/fault (two findTimes in one chat) is forced here: one turn's
first read of the state is held back until the other turn has saved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from dialogs.booking_state import STATE_PROPERTY
from dialogs.bot_storage import SqlBotStorage, TenantConversationState
from storage.database import Database
from storage.state_store import StateStore, StoredDocument

TENANT = "8c1c1f2a-5b8e-4a43-9d7e-0b1f3a6c2d10"


class HeldFirstReadStore(StateStore):
    """Answers its first read, then holds that answer back until `release` is set."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.first_read_done = asyncio.Event()
        self.release = asyncio.Event()

    async def read(self, keys: Iterable[str]) -> dict[str, StoredDocument]:
        found = await super().read(keys)
        if not self.first_read_done.is_set():
            self.first_read_done.set()
            await self.release.wait()
        return found


def _turn() -> TurnContext:
    activity = Activity(
        type=ActivityTypes.invoke,
        channel_id="msteams",
        conversation=ConversationAccount(id="a:chat-with-adele", conversation_type="personal"),
        from_property=ChannelAccount(id="29:adele"),
        channel_data={"tenant": {"id": TENANT}},
    )
    return TurnContext(TestAdapter(), activity)


async def _remember_search(state: TenantConversationState, search_id: str) -> None:
    """What a findTimes turn does with the state: take the booking memory (empty in a new chat), add a search."""
    turn_context = _turn()
    booking = await state.create_property(STATE_PROPERTY).get(turn_context, dict)
    booking.setdefault("searches", {})[search_id] = {"slots": [f"slot of {search_id}"]}
    await state.save_changes(turn_context)


async def test_two_searches_started_together_in_a_new_chat_are_both_remembered(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    held = HeldFirstReadStore(db)
    slow_turn_state = TenantConversationState(SqlBotStorage(held))
    quick_turn_state = TenantConversationState(SqlBotStorage(StateStore(db)))

    slow_turn = asyncio.create_task(_remember_search(slow_turn_state, "first"))
    await held.first_read_done.wait()  # the slow turn has read "no state yet"
    await _remember_search(quick_turn_state, "second")  # the other turn saves meanwhile
    held.release.set()
    await slow_turn

    key = quick_turn_state.get_storage_key(_turn())
    stored = (await StateStore(db).read([key]))[key].document
    await db.dispose()
    assert set(stored[STATE_PROPERTY]["searches"]) == {"first", "second"}
