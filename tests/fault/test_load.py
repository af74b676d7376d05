"""A small bounded load: 20 people at once, each asking for help and then for times, against the emulator.

Not a benchmark (bench/ measures); this checks that concurrency loses nothing: every person gets their own
help card and their own suggestions, no apology, no 5xx, and nobody sees another person's card.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.booking.conftest import BEN, CONTOSO, book_buttons, day_form, meeting_day
from tests.fault.checks import APOLOGY, assert_still_serving
from tests.fault.conftest import FaultWorld
from tests.harness import TeamsUser

PEOPLE = 20


# Contoso people whose working hours overlap Ben's (Eastern), so each search has times to offer.
OVERLAPPING = ("adele.vance", "chloe.martin", "diego.siciliani", "mateo.rossi")


def _organizers(world: FaultWorld, count: int) -> list[TeamsUser]:
    """`count` chats, each one of those people's (a person may chat from several devices and conversations)."""
    contoso = world.emu.org.tenant(CONTOSO)
    assert contoso is not None
    people = [p for p in contoso.people if p.mail.split("@")[0] in OVERLAPPING]
    assert len(people) == len(OVERLAPPING)
    return [
        TeamsUser(CONTOSO, person.id, person.display_name, person.mail,
                  conversation_id=f"a:load-{index}-{person.id}")
        for index, person in ((i, people[i % len(people)]) for i in range(count))
    ]


async def test_twenty_people_at_once_all_get_their_help_and_their_times(connected: FaultWorld) -> None:
    world = connected
    organizers = _organizers(world, PEOPLE)
    for user in organizers:
        world.connector.members[user.teams_user_id] = user.member_info()
    await world.meet(*organizers)
    day = meeting_day()

    async def one_person(user: TeamsUser) -> tuple[int, dict[str, Any]]:
        response = await world.bot.say(user, "help")
        card = await world.find_times(user, day_form(BEN, day))
        return response.status, card

    results = await asyncio.gather(*(one_person(user) for user in organizers))

    for user, (status, card) in zip(organizers, results, strict=True):
        assert status in (200, 201)
        assert book_buttons(card), (user.name, card)
        assert "Ben Walters" in json.dumps(card)
        help_cards = [s for s in world.connector.messages(user.conversation_id) if s.cards]
        assert len(help_cards) == 1 and "What I can do" in json.dumps(help_cards[0].cards)
    assert not any(APOLOGY in s.text.lower() for s in world.connector.sent)
    assert all(call.status < 500 for call in world.emu.calls)
    await assert_still_serving(world)
