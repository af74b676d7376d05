"""Calendar calls in domain-wide mode against the emulator: free/busy, events, limits and faults."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest

from emulator.testing import EmulatorHandle
from graph.calendar import (
    PROVENANCE_PROPERTY_ID,
    AttendeeResponse,
    CalendarClient,
    Caller,
    EventAttendee,
    NewEvent,
)
from graph.errors import AccessDenied, NotOurEvent, ServiceUnavailable, Throttled
from graph.http import GraphHttp, RetryPolicy
from graph.tokens import AppTokenProvider
from scheduling.model import FreeBusyStatus
from tests.graph.conftest import ADELE, BEN, CONTOSO, FAST_RETRY, GRACE, LACHLAN

ORGANIZER = Caller.app(CONTOSO, ADELE)


def _next_weekday(weekday: int = 1) -> date:
    """A future date (ISO weekday), inside the emulator's generated weeks."""
    today = datetime.now(UTC).date()
    days = (weekday - today.isoweekday()) % 7 or 7
    return today + timedelta(days=days)


def _day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _booking(start: datetime, booking_id: str = "booking-1", attendee: str = BEN) -> NewEvent:
    return NewEvent(
        subject="Rendezvous: catch-up",
        body_text="Booked with Rendezvous.",
        start=start,
        end=start + timedelta(minutes=30),
        time_zone="Pacific Standard Time",
        attendees=(EventAttendee(attendee, "Ben Walters"),),
        transaction_id=f"txn-{booking_id}",
        provenance_value=booking_id,
    )


# -- getSchedule ------------------------------------------------------------------------------------


async def test_get_schedule_asks_once_for_everyone(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    day = _next_weekday(2)
    start, end = _day_window(day)
    emu.clear_calendar(BEN)
    blocked = emu.add_busy(BEN, start + timedelta(hours=15), start + timedelta(hours=16), status="tentative")
    emu.faults.schedule_error("chloe.martin@contoso.example", "ErrorMailRecipientNotFound")
    emails = [ADELE, BEN.upper(), GRACE, "nobody@contoso.example", "chloe.martin@contoso.example"]

    result = await calendar.get_schedule(ORGANIZER, emails, start, end)

    schedule_calls = emu.calls_to("/calendar/getSchedule")
    assert len(schedule_calls) == 1
    assert schedule_calls[0].path == f"/v1.0/users/{ADELE}/calendar/getSchedule"
    assert sorted(schedule_calls[0].body["schedules"]) == sorted(e.lower() for e in emails)
    assert set(result) == {e.lower() for e in emails}

    ben = result[BEN]
    assert ben.known
    assert [(b.start, b.end, b.status) for b in ben.busy] == [(blocked.start, blocked.end, FreeBusyStatus.TENTATIVE)]
    assert ben.working_hours is not None
    assert ben.working_hours.days == frozenset({1, 2, 3, 4, 5})
    assert ben.working_hours.start == time(9, 0)

    # never "free" when the calendar could not be read, and the reason is in plain words
    for unreadable in (GRACE, "nobody@contoso.example", "chloe.martin@contoso.example"):
        assert not result[unreadable].known, unreadable
        assert result[unreadable].busy == ()
        assert result[unreadable].unknown_reason
    assert "not shared" in (result[GRACE].unknown_reason or "")
    assert "directory" in (result["nobody@contoso.example"].unknown_reason or "")


async def test_working_hours_in_utc_on_a_dst_transition(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    # US daylight time begins on the second Sunday of March; Sydney's ends on the first Sunday of April.
    result = await calendar.get_schedule(
        ORGANIZER, [ADELE, LACHLAN], datetime.now(UTC), datetime.now(UTC) + timedelta(days=1)
    )
    adele, lachlan = result[ADELE].working_hours, result[LACHLAN].working_hours
    assert adele is not None and lachlan is not None

    def opens_utc(hours_tz: object, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=hours_tz).astimezone(UTC)  # type: ignore[arg-type]

    assert opens_utc(adele.tz, date(2025, 3, 7), adele.start) == datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
    assert opens_utc(adele.tz, date(2025, 3, 10), adele.start) == datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
    # Lachlan (customTimeZone, 08:30): UTC+11 before 2025-04-06, UTC+10 after.
    assert opens_utc(lachlan.tz, date(2025, 4, 4), lachlan.start) == datetime(2025, 4, 3, 21, 30, tzinfo=UTC)
    assert opens_utc(lachlan.tz, date(2025, 4, 7), lachlan.start) == datetime(2025, 4, 6, 22, 30, tzinfo=UTC)
    # ... and UTC+11 again after the first Sunday of October (2025-10-05).
    assert opens_utc(lachlan.tz, date(2025, 10, 6), lachlan.start) == datetime(2025, 10, 5, 21, 30, tzinfo=UTC)


async def test_get_schedule_limits_are_checked_before_calling(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    start = datetime.now(UTC)
    with pytest.raises(ValueError, match="20"):
        await calendar.get_schedule(
            ORGANIZER, [f"p{i}@contoso.example" for i in range(21)], start, start + timedelta(hours=1)
        )
    with pytest.raises(ValueError, match="62 days"):
        await calendar.get_schedule(ORGANIZER, [BEN], start, start + timedelta(days=62))
    with pytest.raises(ValueError):
        await calendar.get_schedule(ORGANIZER, [BEN], start, start - timedelta(hours=1))
    assert emu.calls_to("/calendar/getSchedule") == []


async def test_access_policy_block_is_reported_as_such(calendar: CalendarClient) -> None:
    start = datetime.now(UTC)
    with pytest.raises(AccessDenied) as caught:
        await calendar.get_schedule(Caller.app(CONTOSO, GRACE), [BEN], start, start + timedelta(hours=8))
    assert caught.value.access_policy
    assert caught.value.status == 403
    assert "access policy" in caught.value.user_message
    assert caught.value.request_id and caught.value.client_request_id


# -- throttling, server errors, concurrency ---------------------------------------------------------


@pytest.mark.parametrize("retry_after", ["1", "0.6"])
async def test_429_waits_the_whole_retry_after(emu: EmulatorHandle, calendar: CalendarClient, retry_after: str) -> None:
    emu.faults.throttle("/calendar/getSchedule", times=1, retry_after=retry_after)
    start = datetime.now(UTC)
    result = await calendar.get_schedule(ORGANIZER, [BEN], start, start + timedelta(hours=8))
    assert result[BEN].known
    first, second = emu.calls_to("/calendar/getSchedule")
    assert (first.status, second.status) == (429, 200)
    assert (second.at - first.at).total_seconds() >= float(retry_after)


async def test_retry_after_longer_than_we_accept_is_reported(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    emu.faults.throttle("/calendar/getSchedule", times=1, retry_after="120")
    start = datetime.now(UTC)
    with pytest.raises(Throttled) as caught:
        await calendar.get_schedule(ORGANIZER, [BEN], start, start + timedelta(hours=8))
    assert caught.value.retry_after == 120
    assert len(emu.calls_to("/calendar/getSchedule")) == 1


async def test_503_is_retried_with_the_same_client_request_id(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    emu.faults.fail("/calendar/getSchedule", 503, times=2)
    start = datetime.now(UTC)
    result = await calendar.get_schedule(ORGANIZER, [BEN], start, start + timedelta(hours=8))
    assert result[BEN].known
    assert [c.status for c in emu.calls_to("/calendar/getSchedule")] == [503, 503, 200]


async def test_persistent_503_gives_up_after_the_bounded_attempts(
    emu: EmulatorHandle, calendar: CalendarClient
) -> None:
    emu.faults.fail("/calendar/getSchedule", 503, times=None)
    start = datetime.now(UTC)
    with pytest.raises(ServiceUnavailable) as caught:
        await calendar.get_schedule(ORGANIZER, [BEN], start, start + timedelta(hours=8))
    assert caught.value.status == 503
    assert len(emu.calls_to("/calendar/getSchedule")) == FAST_RETRY.attempts


async def _burst(emu: EmulatorHandle, http: GraphHttp, app_tokens: AppTokenProvider) -> list[object]:
    client = CalendarClient(http, app_tokens, None)
    emu.faults.delay("/calendar/getSchedule", 0.15)
    start = datetime.now(UTC)
    return await asyncio.gather(
        *(client.get_schedule(ORGANIZER, [BEN], start, start + timedelta(hours=8)) for _ in range(10)),
        return_exceptions=True,
    )


async def test_at_most_four_requests_in_flight_per_mailbox(emu: EmulatorHandle, app_tokens: AppTokenProvider) -> None:
    async with GraphHttp(emu.graph_base_url, ca_bundle=emu.ca_file, retry=RetryPolicy(attempts=1)) as http:
        outcomes = await _burst(emu, http, app_tokens)
    assert all(isinstance(outcome, dict) for outcome in outcomes), outcomes
    assert [c.status for c in emu.calls_to("/calendar/getSchedule")] == [200] * 10


async def test_without_the_mailbox_limit_outlook_would_throttle(
    emu: EmulatorHandle, app_tokens: AppTokenProvider
) -> None:
    # The control for the test above: eight at once trip Outlook's MailboxConcurrency limit.
    async with GraphHttp(
        emu.graph_base_url, ca_bundle=emu.ca_file, retry=RetryPolicy(attempts=1), per_mailbox=8
    ) as http:
        outcomes = await _burst(emu, http, app_tokens)
    assert any(isinstance(outcome, Throttled) for outcome in outcomes)


# -- events -----------------------------------------------------------------------------------------


async def test_create_event_once_in_the_organizers_calendar(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    start = datetime.combine(_next_weekday(3), time(17, 0), tzinfo=UTC)
    created = await calendar.create_event(ORGANIZER, _booking(start))

    assert created.start == start and created.end == start + timedelta(minutes=30)
    assert created.has_teams_link and created.web_link
    [organizer_copy] = emu.created_events(ADELE)
    assert organizer_copy.immutable_id == created.id  # Prefer: IdType="ImmutableId" was honoured
    assert organizer_copy.is_online_meeting and organizer_copy.online_meeting_provider == "teamsForBusiness"
    assert organizer_copy.transaction_id == "txn-booking-1"
    assert organizer_copy.extended_properties == {PROVENANCE_PROPERTY_ID: "booking-1"}
    assert organizer_copy.original_start_time_zone == "Pacific Standard Time"
    assert [a.address for a in organizer_copy.attendees] == [BEN]
    assert len(emu.created_events(BEN)) == 1  # the invitation, not a second event


async def test_iana_zone_is_sent_as_its_windows_name(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    start = datetime.combine(_next_weekday(3), time(9, 0), tzinfo=UTC)
    booking = _booking(start)
    await calendar.create_event(ORGANIZER, NewEvent(**{**booking.__dict__, "time_zone": "Europe/Berlin"}))
    [organizer_copy] = emu.created_events(ADELE)
    assert organizer_copy.original_start_time_zone == "W. Europe Standard Time"
    assert organizer_copy.start == start


async def test_dropped_response_is_retried_with_the_same_transaction_id(
    emu: EmulatorHandle, calendar: CalendarClient
) -> None:
    emu.faults.drop_response("/events", method="POST", times=1)
    start = datetime.combine(_next_weekday(4), time(18, 0), tzinfo=UTC)

    created = await calendar.create_event(ORGANIZER, _booking(start, "booking-dropped"))

    posts = [c for c in emu.calls_to("/events") if c.method == "POST"]
    assert len(posts) == 2
    assert {p.body["transactionId"] for p in posts} == {"txn-booking-dropped"}
    [organizer_copy] = emu.created_events(ADELE)
    assert organizer_copy.immutable_id == created.id
    assert len(emu.created_events(BEN)) == 1


async def test_get_event_reports_the_attendees_reply(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    start = datetime.combine(_next_weekday(2), time(20, 0), tzinfo=UTC)
    created = await calendar.create_event(ORGANIZER, _booking(start, "booking-7"))

    status = await calendar.get_event(ORGANIZER, created.id, "booking-7")
    assert status.response_of(BEN) is AttendeeResponse.NONE
    assert (status.start, status.end, status.is_cancelled) == (start, start + timedelta(minutes=30), False)

    emu.respond(BEN, created.id, "accepted")
    status = await calendar.get_event(ORGANIZER, created.id, "booking-7")
    assert status.response_of(BEN.upper()) is AttendeeResponse.ACCEPTED
    assert not hasattr(status, "subject")


async def test_get_event_refuses_events_without_our_tag(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    someone_elses = next(e for e in emu.events_of(ADELE) if e.generated)
    with pytest.raises(NotOurEvent):
        await calendar.get_event(ORGANIZER, someone_elses.immutable_id, "booking-1")

    start = datetime.combine(_next_weekday(2), time(21, 0), tzinfo=UTC)
    created = await calendar.create_event(ORGANIZER, _booking(start, "booking-8"))
    with pytest.raises(NotOurEvent):
        await calendar.get_event(ORGANIZER, created.id, "booking-9")  # ours, but another booking's


async def test_cancel_event(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    start = datetime.combine(_next_weekday(4), time(19, 0), tzinfo=UTC)
    created = await calendar.create_event(ORGANIZER, _booking(start, "booking-c"))

    assert await calendar.cancel_event(ORGANIZER, created.id, "booking-c") is True
    assert emu.created_events(ADELE) == []
    assert all(copy.is_cancelled for copy in emu.created_events(BEN))
    assert await calendar.cancel_event(ORGANIZER, created.id, "booking-c") is False  # already gone


async def test_cancel_leaves_foreign_events_alone(emu: EmulatorHandle, calendar: CalendarClient) -> None:
    someone_elses = next(e for e in emu.events_of(ADELE) if e.generated)
    with pytest.raises(NotOurEvent):
        await calendar.cancel_event(ORGANIZER, someone_elses.immutable_id, "booking-1")
    assert someone_elses in emu.events_of(ADELE)
    assert not [c for c in emu.calls if c.method == "DELETE"]


# -- directory, privacy log -------------------------------------------------------------------------


async def test_check_member_groups(calendar: CalendarClient) -> None:
    product_team = "741ef87f-89da-467d-a8cb-0f857c807768"
    unrelated = "00000000-0000-0000-0000-00000000abcd"
    adele_oid = "11d48f97-1db9-49b2-b6fa-4122d6cb0373"
    grace_oid = "67a30a40-df55-4744-999f-e85ddc902f81"
    assert await calendar.check_member_groups(ORGANIZER, adele_oid, [product_team, unrelated]) == {product_team}
    assert await calendar.check_member_groups(ORGANIZER, grace_oid, [product_team.upper()]) == set()


async def test_every_call_is_reported_for_the_privacy_command(http: GraphHttp, app_tokens: AppTokenProvider) -> None:
    heard: list[tuple[str, tuple[str, ...], str]] = []

    async def record(tenant_id: str, subjects: tuple[str, ...], kind: str) -> None:
        heard.append((tenant_id, subjects, kind))

    client = CalendarClient(http, app_tokens, None, on_call=record)
    start = datetime.now(UTC)
    await client.get_schedule(ORGANIZER, [BEN, ADELE], start, start + timedelta(hours=1))
    assert heard == [(CONTOSO, (BEN, ADELE), "getSchedule")]
