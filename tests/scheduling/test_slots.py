from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.model import Availability, BusyBlock, FreeBusyStatus, WorkingHours
from scheduling.slots import (
    NoSlotReason,
    SlotRequest,
    blocking_statuses,
    describe_no_slot,
    find_slots,
    is_slot_still_free,
)

Z = ZoneInfo
WEEKDAYS = frozenset({1, 2, 3, 4, 5})
ALL_DAYS = frozenset(range(1, 8))


def person(
    email: str,
    zone: str,
    *busy: BusyBlock,
    start: time = time(8),
    end: time = time(17),
    days: frozenset[int] = WEEKDAYS,
    known: bool = True,
) -> Availability:
    return Availability(email, known, tuple(busy), WorkingHours(days, start, end, Z(zone)))


def block(start: datetime, end: datetime, status: FreeBusyStatus = FreeBusyStatus.BUSY) -> BusyBlock:
    return BusyBlock(start, end, status)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def request(start: datetime, end: datetime, **options: object) -> SlotRequest:
    values: dict[str, object] = {
        "duration": timedelta(minutes=30),
        "window_start": start,
        "window_end": end,
        "now": start - timedelta(days=1),
        "max_results": 500,
    }
    values.update(options)
    return SlotRequest(**values)  # type: ignore[arg-type]


def starts(result_suggestions: list) -> list[datetime]:  # type: ignore[type-arg]
    return sorted(suggestion.start for suggestion in result_suggestions)


# --- time zones -------------------------------------------------------------------------------


def test_los_angeles_and_berlin_are_eight_hours_apart_in_mid_march() -> None:
    # US clocks went forward on 9 March, Europe's only on 30 March.
    people = [person("ana@contoso.com", "America/Los_Angeles"), person("ben@contoso.com", "Europe/Berlin")]
    result = find_slots(request(utc(2025, 3, 17), utc(2025, 3, 18)), people)
    assert starts(result.suggestions) == [utc(2025, 3, 17, 15, 0), utc(2025, 3, 17, 15, 15), utc(2025, 3, 17, 15, 30)]
    earliest = min(result.suggestions, key=lambda suggestion: suggestion.start)
    assert [local.label for local in earliest.local_times] == [
        "Mon 17 Mar, 08:00–08:30 PDT",
        "Mon 17 Mar, 16:00–16:30 CET",
    ]
    assert [local.email for local in earliest.local_times] == ["ana@contoso.com", "ben@contoso.com"]
    assert earliest.local_times[1].tz_abbrev == "CET"
    assert earliest.local_times[0].start_local.hour == 8


def test_india_and_new_york_share_half_an_hour() -> None:
    people = [
        person("raj@contoso.com", "Asia/Kolkata", start=time(9), end=time(17)),
        person("nia@contoso.com", "America/New_York", start=time(7), end=time(16)),
    ]
    result = find_slots(request(utc(2025, 3, 17), utc(2025, 3, 18)), people)
    assert len(result.suggestions) == 1
    only = result.suggestions[0]
    assert only.start == utc(2025, 3, 17, 11, 0)
    assert [local.label for local in only.local_times] == [
        "Mon 17 Mar, 16:30–17:00 IST",
        "Mon 17 Mar, 07:00–07:30 EDT",
    ]
    assert only.reasons == ("late in your day", "early in their day")


def test_newfoundland_half_hour_offset_and_ranking_away_from_edges() -> None:
    people = [person("sam@contoso.com", "America/St_Johns"), person("lou@contoso.com", "Europe/London")]
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 25), max_results=3), people)
    best = result.suggestions[0]
    # St John's opens at 08:00 NST = 11:30 UTC; the best slot keeps 30 minutes from that edge.
    assert best.start == utc(2025, 11, 24, 12, 0)
    assert best.local_times[0].label == "Mon 24 Nov, 08:30–09:00 NST"
    assert best.reasons == ("both free all morning",)
    assert all(suggestion.start >= utc(2025, 11, 24, 11, 30) for suggestion in result.suggestions)


def test_sydney_working_day_moves_an_hour_later_in_utc_when_dst_ends() -> None:
    # Sydney goes from AEDT (+11) to AEST (+10) on Sunday 6 April 2025.
    people = [person("kim@contoso.com", "Australia/Sydney"), person("lee@contoso.com", "America/Los_Angeles")]
    result = find_slots(request(utc(2025, 4, 3), utc(2025, 4, 9)), people)
    by_day: dict[date, list[datetime]] = {}
    for suggestion in result.suggestions:
        by_day.setdefault(suggestion.start.date(), []).append(suggestion.start)
    assert min(by_day[date(2025, 4, 3)]) == utc(2025, 4, 3, 21, 0)  # Fri 08:00 AEDT
    assert min(by_day[date(2025, 4, 7)]) == utc(2025, 4, 7, 22, 0)  # Tue 08:00 AEST
    assert set(by_day) == {date(2025, 4, 3), date(2025, 4, 7), date(2025, 4, 8)}
    for suggestion in result.suggestions:
        sydney = suggestion.local_times[0]
        assert time(8) <= sydney.start_local.time() and sydney.end_local.time() <= time(17)


def test_working_hours_starting_in_a_dst_gap_begin_when_the_clocks_jump() -> None:
    # Santiago springs forward at midnight: Sunday 2026-09-06 00:00 never happens, the day starts at 01:00.
    night_owl = person("ema@contoso.com", "America/Santiago", start=time(0), end=time(6), days=ALL_DAYS)
    result = find_slots(request(utc(2026, 9, 6), utc(2026, 9, 7)), [night_owl])
    assert min(starts(result.suggestions)) == utc(2026, 9, 6, 4, 0)
    # CLDR's en-GB abbreviation of September is "Sept".
    assert result.suggestions[0].local_times[0].label.startswith("Sun 6 Sept, 01:")


def test_a_slot_never_crosses_the_end_of_a_working_day() -> None:
    people = [person("a@contoso.com", "UTC"), person("b@contoso.com", "UTC")]
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 26), duration=timedelta(hours=1)), people)
    assert utc(2025, 11, 24, 16, 0) in starts(result.suggestions)
    assert all(suggestion.end.time() <= time(17) for suggestion in result.suggestions)
    assert all(suggestion.start.time() >= time(8) for suggestion in result.suggestions)


def test_person_without_working_hours_gets_outlook_default_in_their_zone() -> None:
    organizer = person("a@contoso.com", "UTC", start=time(0), end=time(23, 59), days=ALL_DAYS)
    attendee = Availability("b@contoso.com", True, time_zone=Z("Asia/Tokyo"))
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 24, 12)), [organizer, attendee])
    # 08:00-17:00 JST is 23:00 (the day before) to 08:00 UTC.
    assert min(starts(result.suggestions)) == utc(2025, 11, 24, 0, 0)
    assert max(starts(result.suggestions)) == utc(2025, 11, 24, 7, 30)
    assert result.suggestions[0].local_times[1].tz_abbrev == "JST"


# --- busy items, buffers, notice -------------------------------------------------------------


def test_buffers_keep_distance_from_busy_items() -> None:
    meeting = block(utc(2025, 11, 24, 10), utc(2025, 11, 24, 11))
    people = [person("a@contoso.com", "UTC", meeting), person("b@contoso.com", "UTC")]
    window = (utc(2025, 11, 24, 8), utc(2025, 11, 24, 12))
    plain = find_slots(request(*window), people)
    assert starts(plain.suggestions) == [
        utc(2025, 11, 24, 8, 0),
        utc(2025, 11, 24, 8, 15),
        utc(2025, 11, 24, 8, 30),
        utc(2025, 11, 24, 8, 45),
        utc(2025, 11, 24, 9, 0),
        utc(2025, 11, 24, 9, 15),
        utc(2025, 11, 24, 9, 30),
        utc(2025, 11, 24, 11, 0),
        utc(2025, 11, 24, 11, 15),
        utc(2025, 11, 24, 11, 30),
    ]
    buffered = find_slots(
        request(*window, buffer_before=timedelta(minutes=15), buffer_after=timedelta(minutes=30)), people
    )
    # Ends 30 minutes before the item at the latest; starts 15 minutes after it at the earliest.
    assert starts(buffered.suggestions) == [
        utc(2025, 11, 24, 8, 0),
        utc(2025, 11, 24, 8, 15),
        utc(2025, 11, 24, 8, 30),
        utc(2025, 11, 24, 8, 45),
        utc(2025, 11, 24, 9, 0),
        utc(2025, 11, 24, 11, 15),
        utc(2025, 11, 24, 11, 30),
    ]


def test_minimum_notice_counts_from_now() -> None:
    people = [person("a@contoso.com", "UTC"), person("b@contoso.com", "UTC")]
    now = utc(2025, 11, 24, 9, 5)
    result = find_slots(
        request(utc(2025, 11, 24), utc(2025, 11, 25), now=now, minimum_notice=timedelta(hours=2)), people
    )
    assert min(starts(result.suggestions)) == utc(2025, 11, 24, 11, 15)


def test_statuses_that_block_by_default_and_configurably() -> None:
    day = (utc(2025, 11, 24, 8), utc(2025, 11, 24, 12))
    tentative = block(utc(2025, 11, 24, 8), utc(2025, 11, 24, 10), FreeBusyStatus.TENTATIVE)
    elsewhere = block(utc(2025, 11, 24, 10), utc(2025, 11, 24, 11), FreeBusyStatus.WORKING_ELSEWHERE)
    free = block(utc(2025, 11, 24, 11), utc(2025, 11, 24, 12), FreeBusyStatus.FREE)
    people = [person("a@contoso.com", "UTC", tentative, elsewhere, free), person("b@contoso.com", "UTC")]

    default = starts(find_slots(request(*day), people).suggestions)
    assert min(default) == utc(2025, 11, 24, 10, 0)  # tentative blocks, working elsewhere and free do not

    lenient = blocking_statuses(tentative=False)
    assert min(starts(find_slots(request(*day, blocking=lenient), people).suggestions)) == utc(2025, 11, 24, 8)

    strict = blocking_statuses(working_elsewhere=True) | {FreeBusyStatus.FREE}  # free is ignored even here
    assert starts(find_slots(request(*day, blocking=strict), people).suggestions) == [
        utc(2025, 11, 24, 11, 0),
        utc(2025, 11, 24, 11, 15),
        utc(2025, 11, 24, 11, 30),
    ]


def test_unknown_status_items_block() -> None:
    mystery = block(utc(2025, 11, 24, 8), utc(2025, 11, 24, 11, 45), FreeBusyStatus.UNKNOWN)
    people = [person("a@contoso.com", "UTC", mystery), person("b@contoso.com", "UTC")]
    result = find_slots(request(utc(2025, 11, 24, 8), utc(2025, 11, 24, 12, 30)), people)
    assert starts(result.suggestions) == [utc(2025, 11, 24, 11, 45), utc(2025, 11, 24, 12, 0)]


def test_unreadable_calendar_marks_every_slot_unverified_but_keeps_working_hours() -> None:
    organizer = person("a@contoso.com", "UTC")
    # Blocks of an unreadable calendar are not trusted either way; only the working hours count.
    attendee = person("b@contoso.com", "Asia/Kolkata", block(utc(2025, 11, 24, 9), utc(2025, 11, 24, 10)), known=False)
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 25)), [organizer, attendee])
    assert result.suggestions
    assert all(not suggestion.verified for suggestion in result.suggestions)
    assert all(suggestion.unverified_people == ("b@contoso.com",) for suggestion in result.suggestions)
    # Kolkata's 17:00 IST is 11:30 UTC: nothing later is offered.
    assert max(suggestion.end for suggestion in result.suggestions) == utc(2025, 11, 24, 11, 30)

    readable = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 25)), [organizer, person("c@x.com", "UTC")])
    assert all(suggestion.verified for suggestion in readable.suggestions)


# --- ranking and paging ----------------------------------------------------------------------


def test_ranking_prefers_slots_away_from_day_edges_then_earlier() -> None:
    people = [person("a@contoso.com", "UTC"), person("b@contoso.com", "UTC")]
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 25)), people)
    assert max(result.suggestions, key=lambda s: (s.score, -s.start.timestamp())).start == utc(2025, 11, 24, 8, 30)
    # Scores rank; the page itself reads in time order (see the test below).
    suggestions = sorted(result.suggestions, key=lambda s: (-s.score, s.start))
    at_edges = [s for s in suggestions if any(reason.endswith(" day") for reason in s.reasons)]
    comfortable = [s for s in suggestions if s not in at_edges]
    assert min(s.score for s in comfortable) > max(s.score for s in at_edges)
    assert suggestions[: len(comfortable)] == comfortable
    assert [s.start for s in comfortable] == sorted(s.start for s in comfortable)
    first_of_day = next(s for s in suggestions if s.start == utc(2025, 11, 24, 8, 0))
    assert first_of_day.reasons[:2] == ("early in your day", "early in their day")


def test_a_page_of_suggestions_is_spread_over_days_and_hours() -> None:
    people = [person("a@contoso.com", "Europe/Berlin"), person("b@contoso.com", "Europe/London")]
    page = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 29), max_results=5), people).suggestions
    berlin = Z("Europe/Berlin")
    days = [s.start.astimezone(berlin).date() for s in page]
    assert len(page) == 5
    assert len(set(days)) == 3, days
    assert max(days.count(day) for day in set(days)) == 2
    for first in page:
        for second in page:
            if first is not second and first.start.date() == second.start.date():
                assert abs(first.start - second.start) >= timedelta(minutes=90)
    assert [s.start for s in page] == sorted(s.start for s in page), "a page reads in time order"


def test_three_people_name_whose_day_edge_it_is() -> None:
    people = [
        person("a@contoso.com", "UTC"),
        person("b@contoso.com", "UTC"),
        person("c@contoso.com", "UTC", start=time(9)),
    ]
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 25)), people, names={"c@contoso.com": "Chloe"})
    first = min(result.suggestions, key=lambda s: s.start)
    assert first.start == utc(2025, 11, 24, 9)
    assert first.reasons == ("early in Chloe's day", "the earliest time everyone is free")


def test_paging_returns_the_next_ranked_slots_without_repeats() -> None:
    people = [person("a@contoso.com", "Europe/Berlin"), person("b@contoso.com", "Europe/London")]
    whole = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 26)), people)
    seen: list[datetime] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 26), max_results=5), people, offset=offset)
        assert len(page.suggestions) <= 5
        seen.extend(suggestion.start for suggestion in page.suggestions)
        offset = page.next_offset
        pages += 1
    assert sorted(seen) == sorted(suggestion.start for suggestion in whole.suggestions)
    assert len(seen) == len(set(seen))
    assert len(seen) == len(set(seen)) == whole.total
    assert pages == -(-whole.total // 5)


def test_paging_past_the_end_is_empty_not_a_failure() -> None:
    people = [person("a@contoso.com", "UTC")]
    result = find_slots(request(utc(2025, 11, 24, 8), utc(2025, 11, 24, 9)), people, offset=50)
    assert result.suggestions == [] and result.no_slot_reason is None and result.next_offset is None


# --- no slot: reasons ------------------------------------------------------------------------


def test_no_working_hours_overlap_names_the_attendee() -> None:
    people = [person("me@contoso.com", "America/Los_Angeles"), person("alice@contoso.com", "Asia/Kolkata")]
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 29)), people)
    assert result.suggestions == []
    assert result.no_slot_reason is NoSlotReason.NO_WORKING_HOURS_OVERLAP
    assert result.no_slot_person == "alice@contoso.com"
    assert result.no_slot_message({"alice@contoso.com": "Alice"}) == (
        "Your working hours and Alice's do not overlap in this window."
    )


def test_weekend_window_has_no_working_hours() -> None:
    result = find_slots(request(utc(2025, 11, 29), utc(2025, 12, 1)), [person("me@contoso.com", "UTC")])
    assert result.no_slot_reason is NoSlotReason.NO_WORKING_HOURS_OVERLAP
    assert result.no_slot_person is None


def test_attendee_out_of_office_until_their_local_date() -> None:
    berlin = Z("Europe/Berlin")
    # All-day OOF from Mon 24 Nov to the end of Fri 28 Nov, Berlin time.
    away = block(datetime(2025, 11, 24, tzinfo=berlin), datetime(2025, 11, 29, tzinfo=berlin), FreeBusyStatus.OOF)
    people = [person("me@contoso.com", "Europe/London"), person("alice@contoso.com", "Europe/Berlin", away)]
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 29)), people)
    assert result.no_slot_reason is NoSlotReason.ATTENDEE_OUT_OF_OFFICE
    assert result.out_of_office_until == date(2025, 11, 28)
    assert result.no_slot_message({"alice@contoso.com": "Alice"}) == "Alice is out of office until Fri 28 Nov."


def test_out_of_office_that_does_not_block_is_not_the_reason() -> None:
    away = block(utc(2025, 11, 24), utc(2025, 11, 29), FreeBusyStatus.OOF)
    people = [person("me@contoso.com", "UTC"), person("alice@contoso.com", "UTC", away)]
    lenient = blocking_statuses(out_of_office=False)
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 29), blocking=lenient), people)
    assert result.suggestions and result.no_slot_reason is None


def test_organizer_fully_booked() -> None:
    busy_week = block(utc(2025, 11, 24), utc(2025, 11, 29))
    people = [person("me@contoso.com", "UTC", busy_week), person("alice@contoso.com", "UTC")]
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 29)), people)
    assert result.no_slot_reason is NoSlotReason.ORGANIZER_UNAVAILABLE
    assert result.no_slot_message() == "Your calendar has no free time long enough in this window."


def test_attendee_busy_counts_buffers() -> None:
    # Free 09:00-09:45 only; a 30 minute meeting with 15-minute buffers on both sides cannot fit.
    morning = block(utc(2025, 11, 24, 8), utc(2025, 11, 24, 9))
    rest = block(utc(2025, 11, 24, 9, 45), utc(2025, 11, 24, 17))
    people = [person("me@contoso.com", "UTC"), person("alice@contoso.com", "UTC", morning, rest)]
    window = (utc(2025, 11, 24), utc(2025, 11, 25))
    assert find_slots(request(*window), people).suggestions
    buffered = find_slots(
        request(*window, buffer_before=timedelta(minutes=15), buffer_after=timedelta(minutes=15)), people
    )
    assert buffered.no_slot_reason is NoSlotReason.ATTENDEE_BUSY
    assert buffered.no_slot_message() == "alice@contoso.com's calendar has no free time long enough in this window."


def test_free_times_that_never_line_up() -> None:
    people = [
        person("me@contoso.com", "UTC", block(utc(2025, 11, 24, 8), utc(2025, 11, 24, 12))),
        person("alice@contoso.com", "UTC", block(utc(2025, 11, 24, 12), utc(2025, 11, 24, 17))),
    ]
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 25)), people)
    assert result.no_slot_reason is NoSlotReason.NO_COMMON_FREE_TIME
    assert result.no_slot_person == "alice@contoso.com"


def test_window_in_the_past_and_too_short() -> None:
    people = [person("me@contoso.com", "UTC")]
    past = find_slots(request(utc(2025, 11, 24, 8), utc(2025, 11, 24, 9), now=utc(2025, 11, 24, 10)), people)
    assert past.no_slot_reason is NoSlotReason.WINDOW_IN_PAST
    short = find_slots(request(utc(2025, 11, 24, 8), utc(2025, 11, 24, 8, 20)), people)
    assert short.no_slot_reason is NoSlotReason.WINDOW_TOO_SHORT
    assert short.no_slot_message() == "This window is shorter than the meeting."


def test_describe_no_slot_without_a_name() -> None:
    assert describe_no_slot(NoSlotReason.ATTENDEE_OUT_OF_OFFICE) == (
        "the other person is out of office for this whole window."
    )


# --- request validation and the re-check -----------------------------------------------------


def test_request_refuses_naive_datetimes_and_nonsense() -> None:
    with pytest.raises(ValueError, match="aware"):
        request(datetime(2025, 11, 24), utc(2025, 11, 25))
    with pytest.raises(ValueError, match="duration"):
        request(utc(2025, 11, 24), utc(2025, 11, 25), duration=timedelta(0))


def test_request_converts_to_utc() -> None:
    berlin_morning = datetime(2025, 11, 24, 9, tzinfo=Z("Europe/Berlin"))
    made = request(berlin_morning, berlin_morning + timedelta(hours=3))
    assert made.window_start == utc(2025, 11, 24, 8) and made.window_start.tzinfo is UTC


def test_is_slot_still_free() -> None:
    meeting = block(utc(2025, 11, 24, 10), utc(2025, 11, 24, 11))
    tentative = block(utc(2025, 11, 24, 12), utc(2025, 11, 24, 13), FreeBusyStatus.TENTATIVE)
    people = [person("me@contoso.com", "UTC", meeting, tentative), person("alice@contoso.com", "UTC")]
    assert is_slot_still_free(utc(2025, 11, 24, 11), utc(2025, 11, 24, 11, 30), people)
    assert not is_slot_still_free(utc(2025, 11, 24, 10, 30), utc(2025, 11, 24, 11, 30), people)
    assert not is_slot_still_free(
        utc(2025, 11, 24, 11), utc(2025, 11, 24, 11, 30), people, buffer_before=timedelta(minutes=5)
    )
    assert not is_slot_still_free(utc(2025, 11, 24, 12), utc(2025, 11, 24, 12, 30), people)
    assert is_slot_still_free(
        utc(2025, 11, 24, 12), utc(2025, 11, 24, 12, 30), people, blocking_statuses(tentative=False)
    )
    unreadable = [people[0], Availability("alice@contoso.com", False, unknown_reason="throttled")]
    assert not is_slot_still_free(utc(2025, 11, 24, 11), utc(2025, 11, 24, 11, 30), unreadable)


# --- a page a person can scan ------------------------------------------------------------------


def _overlaps(page: list) -> bool:  # type: ignore[type-arg]
    return any(a is not b and a.start < b.end and b.start < a.end for a in page for b in page)


def test_a_page_offers_no_overlapping_times_while_separate_ones_remain() -> None:
    people = [person("a@contoso.com", "UTC"), person("b@contoso.com", "UTC")]
    day = (utc(2025, 11, 24), utc(2025, 11, 25))
    for minutes in (30, 60, 120):
        page = find_slots(request(*day, duration=timedelta(minutes=minutes), max_results=4), people).suggestions
        assert len(page) == 4
        assert not _overlaps(page), (minutes, [s.start for s in page])


def test_overlapping_times_fill_a_page_only_when_nothing_else_fits() -> None:
    # Three shared free hours and a two-hour meeting: one separate time, then only overlapping ones.
    people = [person("a@contoso.com", "UTC", start=time(9), end=time(12)), person("b@contoso.com", "UTC")]
    page = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 25), duration=timedelta(hours=2), max_results=3),
                      people).suggestions
    assert len(page) == 3 and _overlaps(page)
    assert [s.start for s in page] == sorted(s.start for s in page)


def test_reasons_are_short_everyday_words_naming_the_colleague() -> None:
    ben = person("ben@contoso.com", "America/New_York", start=time(9), end=time(17))
    adele = person("adele@contoso.com", "UTC", start=time(8), end=time(17))
    # Ben's day starts at 14:00 UTC: the earliest shared time is early in his day.
    result = find_slots(request(utc(2025, 11, 24), utc(2025, 11, 25), max_results=500), [adele, ben],
                        names={"ben@contoso.com": "Ben"})
    first = result.suggestions[0]
    assert first.reasons == ("early in Ben's day", "the earliest time you are both free")
    afternoon = next(s for s in result.suggestions if s.start == utc(2025, 11, 24, 15))
    assert afternoon.reasons == ("both free all afternoon",)
    jargon = ("edge", "inside", "working day", "score", "rank", "slot")
    for suggestion in result.suggestions:
        assert 1 <= len(suggestion.reasons) <= 2 or suggestion.reasons == ()
        for reason in suggestion.reasons:
            assert len(reason) <= 40 and not any(word in reason for word in jargon), reason


def test_a_time_squeezed_between_meetings_says_so() -> None:
    busy_before = block(utc(2025, 11, 24, 9), utc(2025, 11, 24, 10))
    busy_after = block(utc(2025, 11, 24, 10, 30), utc(2025, 11, 24, 17))
    people = [person("a@contoso.com", "UTC", busy_before, busy_after), person("b@contoso.com", "UTC")]
    result = find_slots(request(utc(2025, 11, 24, 9), utc(2025, 11, 24, 17)), people)
    assert [(s.start, s.reasons) for s in result.suggestions] == [
        (utc(2025, 11, 24, 10), ("the only time you are both free", "fits between other meetings")),
    ]
