"""Every card verb of the routing table, clicked with altered data: a clear card or message, and no stray booking.

The world holds real things the fuzzer may point at: a search Adele made (with its offered slots), a search
Ben made, a booking Adele confirmed, people of this tenant and of another. Each example clicks one verb as
one person, either as an Action.Execute invoke or as the Action.Submit fallback message, with data that mixes
those real ids with junk, impossible dates and durations. After each click:

* the invoke answers 200 with a card or a message (never the apology for an unhandled exception);
* every booking row is finished (tests/fault/checks.py), and a booking exists only where the organizer was
  offered exactly that slot in a search of their own: no payload books for someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import BOT_KEY
from storage.repositories import TenantRepository
from tests.booking.conftest import (
    ADELE,
    BEN,
    CHLOE,
    CONTOSO,
    FABRIKAM,
    FIONA,
    GRACE,
    PRODUCT_TEAM,
    book_buttons,
    card_of,
    day_form,
    meeting_day,
)
from tests.fault.checks import (
    APOLOGY,
    assert_clear_invoke_answer,
    assert_no_apology,
    assert_nothing_half_written,
    internals_shown,
    said_in,
    said_in_invoke,
)
from tests.fault.conftest import FaultWorld
from tests.fault.strategies import altered, anything, card_payloads
from tests.harness import TeamsUser

GROUP_ADELE = ADELE.in_group_chat("19:fuzz-group@thread.v2")


@dataclass(frozen=True)
class RealThings:
    """Ids that exist in the running world, and whose searches they are."""

    search_owner: dict[str, str]  # search id -> organizer oid
    slot_ids: list[str]
    booking_id: str
    valid: dict[str, Any]  # every field of every card, as the bot itself would fill them for Adele

    def ids(self) -> list[str]:
        people = [p.aad_object_id for p in (ADELE, BEN, CHLOE, GRACE, FIONA)]
        return [*people, *self.search_owner, *self.slot_ids, self.booking_id, CONTOSO, FABRIKAM, PRODUCT_TEAM]


async def _real_things(world: FaultWorld) -> RealThings:
    day = meeting_day()
    adele_card = await world.find_times(ADELE, day_form(BEN, day))
    ben_card = await world.find_times(BEN, day_form(ADELE, day, duration="60"))
    adele_slots, ben_slots = book_buttons(adele_card), book_buttons(ben_card)
    booked = card_of(await world.bot.execute(ADELE, "book", adele_slots[-1]))
    [booking] = await world.bookings()
    assert booking.status == "confirmed" and booking.id in str(booked)
    return RealThings(
        search_owner={adele_slots[0]["searchId"]: ADELE.aad_object_id, ben_slots[0]["searchId"]: BEN.aad_object_id},
        slot_ids=[s["slotId"] for s in adele_slots + ben_slots],
        booking_id=booking.id,
        valid={**day_form(BEN, day, subject="Planning", note="Agenda"), **adele_slots[0], "bookingId": booking.id,
               "tenantId": CONTOSO, "mode": "domain_wide", "securityGroupId": ""},
    )


async def _assert_bookings_legitimate(world: FaultWorld, real: RealThings) -> None:
    """Only the person a search belongs to can have booked from it, and only a slot it offered."""
    await assert_nothing_half_written(world)
    for booking in await world.bookings():
        search_id, _, slot_id = booking.idempotency_key.partition(":")
        assert real.search_owner.get(search_id) == booking.organizer_oid, booking
        assert slot_id in real.slot_ids, booking
    assert not await world.bookings(FABRIKAM)


async def _restore_tenant(world: FaultWorld) -> None:
    """Adele is Contoso's admin, so a fuzzed click may legitimately turn Rendezvous off; turn it back on."""
    tenant = await TenantRepository(world.db, CONTOSO).get()
    if tenant is None or not tenant.enabled or tenant.mode != "domain_wide" or tenant.security_group_id:
        await world.set_up_tenant()


async def _click(world: FaultWorld, user: TeamsUser, verb: Any, data: dict[str, Any], as_submit: bool) -> list[str]:
    """Clicks once; returns everything the person was shown."""
    mark = len(world.connector.sent)
    if as_submit:
        activity = user.activity(world.connector.url, "message", value={**data, "verb": verb},
                                 replyToId="activity-card")
        response = await world.bot.post(activity)
        assert response.status in (200, 201), response.status
        replies = world.connector.sent[mark:]
        assert replies, "the click went unanswered"
        shown = said_in(replies)
    else:
        activity = user.activity(world.connector.url, "invoke", name="adaptiveCard/action",
                                 value={"action": {"type": "Action.Execute", "verb": verb, "data": data},
                                        "trigger": "manual"})
        async with world.bot.session.post(f"{world.bot.url}/api/messages", json=activity) as response:
            assert response.status == 200, await response.text()
            body = await response.json()
        assert_clear_invoke_answer(body)
        replies = world.connector.sent[mark:]
        shown = said_in_invoke(body) + said_in(replies)
    assert_no_apology(replies)
    assert not any(APOLOGY in text.lower() for text in shown)
    problems = internals_shown(shown, data)
    assert not problems, problems
    return shown


# The routing table's verbs, listed so each gets its own examples; the first test keeps the list honest.
VERBS = sorted([
    "help", "startBooking", "findTimes", "moreTimes", "nextWindow", "changeOptions", "book", "cancelBooking",
    "declineBooking", "confirmCancelBooking", "keepBooking", "findAnotherTime", "moveToSlot",
    "refreshBooking", "myMeetings", "openSetup", "saveSetup", "confirmDisconnectOrganization",
    "disconnectMyCalendar", "proveAdmin",
])
# Mostly Adele in her 1:1 chat (the deepest paths), also her colleague, a bystander, a group chat, an outsider.
CLICKERS = st.sampled_from([ADELE, ADELE, ADELE, BEN, CHLOE, GROUP_ADELE, FIONA])


async def test_the_fuzzed_verbs_are_the_routing_table(world: FaultWorld) -> None:
    assert sorted(world.bot.app[BOT_KEY].actions) == VERBS, "a verb was added or removed: update VERBS"


@pytest.mark.parametrize("verb", VERBS)
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
async def test_every_verb_with_altered_data_answers_clearly_and_books_nothing_stray(
    connected: FaultWorld, verb: str, data: st.DataObject
) -> None:
    world = connected
    if not hasattr(world, "real"):  # once per test, not per example: the world outlives the examples
        world.real = await _real_things(world)  # type: ignore[attr-defined]
    real: RealThings = world.real  # type: ignore[attr-defined]
    user = data.draw(CLICKERS, label="user")
    ids = st.sampled_from(real.ids())
    payload = data.draw(altered(real.valid, ids) | card_payloads(ids), label="data")
    as_submit = data.draw(st.booleans(), label="as_submit")

    await _click(world, user, verb, payload, as_submit)

    await _assert_bookings_legitimate(world, real)
    await _restore_tenant(world)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(verb=anything, data=anything)
async def test_unknown_verbs_and_non_object_data_get_a_message(connected: FaultWorld, verb: Any, data: Any) -> None:
    world = connected
    activity = ADELE.activity(world.connector.url, "invoke", name="adaptiveCard/action",
                              value={"action": {"type": "Action.Execute", "verb": verb, "data": data}})
    async with world.bot.session.post(f"{world.bot.url}/api/messages", json=activity) as response:
        assert response.status == 200, await response.text()
        body = await response.json()
    assert_clear_invoke_answer(body)
    assert not internals_shown(said_in_invoke(body), [verb, data])
    assert await world.bookings() == []
