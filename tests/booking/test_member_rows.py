"""Every turn records its sender, but a turn that changes nothing about them costs no database round trip."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import event

from storage.repositories import MemberRepository
from tests.booking.conftest import ADELE, CONTOSO, BookingWorld


async def test_a_repeated_help_turn_reads_and_writes_nothing_in_the_database(world: BookingWorld) -> None:
    await world.bot.say(ADELE, "help")
    statements: list[str] = []

    def count(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = world.services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = await world.bot.say(ADELE, "help")
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert response.status == 201
    assert world.connector.messages(ADELE.conversation_id)[-1].cards  # the help card was answered
    assert statements == []


async def test_a_changed_time_zone_is_stored_on_the_next_turn(world: BookingWorld) -> None:
    await world.bot.say(ADELE, "help")
    travelling = replace(ADELE, time_zone="Asia/Tokyo")

    await world.bot.say(travelling, "help")

    stored = await MemberRepository(world.db, CONTOSO).get(ADELE.aad_object_id)
    assert stored is not None and stored.time_zone == "Asia/Tokyo"
