"""Issue 11: meetings with several colleagues, each required or optional.

Required people must all be free; optional ones rank the times (every optional person free first, then the
fewest missing), and every suggestion says who is free, busy, unreadable or outside their hours.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from scheduling.model import Availability, FreeBusyStatus
from scheduling.requested import nearest_first
from scheduling.slots import AttendanceStatus, SlotRequest, Suggestion, find_slots, is_slot_still_free
from tests.scheduling.test_slots import block, person, request, utc

MONDAY = (utc(2025, 11, 24, 8), utc(2025, 11, 24, 17))
ORGANIZER = "me@contoso.com"
BEN, CHLOE, DEV, EVE, FAY = (f"{name}@contoso.com" for name in ("ben", "chloe", "dev", "eve", "fay"))


def hourly(max_results: int = 500) -> SlotRequest:
    """Hour-long meetings on the hour on Monday 24 November 2025 (UTC): starts 08:00 to 16:00."""
    return request(*MONDAY, duration=timedelta(hours=1), step=timedelta(hours=1), max_results=max_results)


def team() -> list[Availability]:
    """Everyone in UTC, 08:00-17:00. Ben (required) is busy 15-16; Chloe (optional) 08-12; Dev (optional)
    08-10 and 13-17. So 12:00 suits everyone, 10, 11, 13, 14 and 16 miss one optional person, 8 and 9 two."""
    return [
        person(ORGANIZER, "UTC"),
        person(BEN, "UTC", block(utc(2025, 11, 24, 15), utc(2025, 11, 24, 16))),
        person(CHLOE, "UTC", block(utc(2025, 11, 24, 8), utc(2025, 11, 24, 12))),
        person(DEV, "UTC", block(utc(2025, 11, 24, 8), utc(2025, 11, 24, 10)),
               block(utc(2025, 11, 24, 13), utc(2025, 11, 24, 17), FreeBusyStatus.TENTATIVE)),
    ]


def ranked_one_by_one(search: SlotRequest, people: list[Availability], optional: frozenset[str]) -> list[Suggestion]:
    """The whole ranking, a page of one at a time."""
    ranked: list[Suggestion] = []
    offset: int | None = 0
    while offset is not None:
        page = find_slots(search, people, offset=offset, optional=optional)
        ranked.extend(page.suggestions)
        offset = page.next_offset
    return ranked


def test_times_every_optional_person_can_make_come_first_then_the_fewest_missing() -> None:
    ranked = ranked_one_by_one(hourly(max_results=1), team(), frozenset({CHLOE, DEV}))
    assert [s.start.hour for s in ranked][0] == 12
    assert [len(s.missing_optional) for s in ranked] == [0, 1, 1, 1, 1, 1, 2, 2]
    assert sorted(s.start.hour for s in ranked) == [8, 9, 10, 11, 12, 13, 14, 16], "Ben is busy at 15:00"
    assert {s.start.hour for s in ranked[-2:]} == {8, 9}
    # A page reads in time order and holds the best-ranked times.
    page = find_slots(hourly(max_results=3), team(), optional={CHLOE, DEV}).suggestions
    assert [s.start.hour for s in page] == sorted(s.start.hour for s in page)
    assert 12 in [s.start.hour for s in page] and not {8, 9} & {s.start.hour for s in page}


def test_an_optional_persons_busy_time_is_offered_a_required_persons_never() -> None:
    everyone_required = find_slots(hourly(), team())
    assert [s.start.hour for s in everyone_required.suggestions] == [12]
    dev_required = find_slots(hourly(), team(), optional={CHLOE})
    assert sorted(s.start.hour for s in dev_required.suggestions) == [10, 11, 12]


def test_each_suggestion_says_who_is_free_busy_unreadable_or_away() -> None:
    people = [
        *team(),
        Availability(EVE, False, unknown_reason="throttled", time_zone=person(EVE, "UTC").zone()),
        person(FAY, "Asia/Kolkata", start=time(9), end=time(17)),  # 03:30-11:30 UTC
    ]
    result = find_slots(hourly(), people, optional=frozenset({"Chloe@Contoso.com", DEV, EVE, FAY}))
    by_hour = {s.start.hour: s for s in result.suggestions}
    ten = by_hour[10]
    assert [(a.email, a.status, a.required) for a in ten.attendance] == [
        (ORGANIZER, AttendanceStatus.FREE, True),
        (BEN, AttendanceStatus.FREE, True),
        (CHLOE, AttendanceStatus.BUSY, False),
        (DEV, AttendanceStatus.FREE, False),
        (EVE, AttendanceStatus.UNREADABLE, False),  # never counted as free
        (FAY, AttendanceStatus.FREE, False),
    ]
    assert ten.missing_optional == (CHLOE, EVE)
    assert by_hour[11].people_with(AttendanceStatus.OUTSIDE_HOURS) == (FAY,)  # 17:30 IST
    assert by_hour[14].people_with(AttendanceStatus.BUSY) == (DEV,)  # tentative blocks by default
    # An unreadable optional calendar leaves the times verified: it is not needed to book.
    assert all(s.verified and s.unverified_people == () for s in result.suggestions)


def test_a_required_unreadable_calendar_is_labelled_and_leaves_times_unverified() -> None:
    people = [person(ORGANIZER, "UTC"), person(BEN, "UTC", known=False), person(CHLOE, "UTC")]
    result = find_slots(hourly(), people, optional={CHLOE})
    assert result.suggestions
    for suggestion in result.suggestions:
        assert not suggestion.verified and suggestion.unverified_people == (BEN,)
        assert suggestion.people_with(AttendanceStatus.UNREADABLE) == (BEN,)
        assert suggestion.people_with(AttendanceStatus.FREE) == (ORGANIZER, CHLOE)


def test_optional_working_hours_do_not_limit_the_search() -> None:
    # Dev in Kolkata never shares hours with the organizer in New York: as an optional guest he is just missing.
    people = [person(ORGANIZER, "America/New_York"), person(DEV, "Asia/Kolkata")]
    assert find_slots(hourly(), people).suggestions == []
    result = find_slots(hourly(), people, optional={DEV})
    assert result.suggestions
    assert all(s.people_with(AttendanceStatus.OUTSIDE_HOURS) == (DEV,) for s in result.suggestions)


def test_reasons_do_not_say_everyone_is_free_when_an_optional_person_is_missing() -> None:
    people = [person(ORGANIZER, "UTC"), person(BEN, "UTC"), person(CHLOE, "UTC", start=time(12))]
    late_morning = request(utc(2025, 11, 24, 9), utc(2025, 11, 24, 11), duration=timedelta(hours=1),
                           step=timedelta(hours=1))  # 09:00 and 10:00, away from everyone's day edges
    first = min(find_slots(late_morning, people, optional={CHLOE}).suggestions, key=lambda s: s.start)
    assert first.start.hour == 9 and first.missing_optional == (CHLOE,)
    assert first.reasons == ("the earliest time that fits",)


def test_the_organizer_is_always_required_and_strangers_are_refused() -> None:
    people = [person(ORGANIZER, "UTC", block(utc(2025, 11, 24, 8), utc(2025, 11, 24, 16))), person(BEN, "UTC")]
    assert [s.start.hour for s in find_slots(hourly(), people, optional={ORGANIZER}).suggestions] == [16]
    with pytest.raises(ValueError, match="nobody@contoso.com"):
        find_slots(hourly(), people, optional={"nobody@contoso.com"})


def test_the_check_before_booking_ignores_optional_people() -> None:
    start, end = utc(2025, 11, 24, 9), utc(2025, 11, 24, 10)
    people = [*team(), Availability(EVE, False, unknown_reason="throttled")]
    assert not is_slot_still_free(start, end, people), "Chloe, Dev and Eve hold it up when required"
    assert is_slot_still_free(start, end, people, optional={CHLOE, DEV, EVE})
    ben_busy = (utc(2025, 11, 24, 15), utc(2025, 11, 24, 16))
    assert not is_slot_still_free(*ben_busy, people, optional={CHLOE, DEV, EVE}), "Ben is required"
    organizer_busy = [person(ORGANIZER, "UTC", block(start, end)), person(BEN, "UTC")]
    assert not is_slot_still_free(start, end, organizer_busy, optional={ORGANIZER})


def test_two_people_without_optional_ones_rank_as_before() -> None:
    people = [person(ORGANIZER, "UTC"), person(BEN, "UTC")]
    search = request(utc(2025, 11, 24), utc(2025, 11, 29), max_results=5)
    assert find_slots(search, people) == find_slots(search, people, optional=frozenset())
    assert all(len(s.attendance) == 2 and s.missing_optional == () for s in find_slots(search, people).suggestions)



def test_a_time_asked_for_by_name_is_not_refused_because_of_an_optional_person() -> None:
    wanted = utc(2025, 11, 24, 9)  # Chloe (optional) and Dev (optional) are busy then
    names = ["you", "Ben", "Chloe", "Dev"]
    as_required = nearest_first(hourly(max_results=3), team(), wanted, names)
    assert as_required.why_not == "Chloe is busy then and Dev is busy then"
    as_optional = nearest_first(hourly(max_results=3), team(), wanted, names, optional={CHLOE, DEV})
    assert as_optional.why_not is None
    assert as_optional.result.suggestions[0].start == wanted
    assert as_optional.result.suggestions[0].missing_optional == (CHLOE, DEV)
