"""Property test of issue 11: twenty calendars over 61 days, each person required or optional.

Whatever the calendars (blocks of every status, `unknown` included, some calendars unreadable), zones,
working hours and split between required and optional people, no offered time has a required person busy
or outside their working hours, each person's attendance says what an independent oracle says, and the
ranking never puts a time missing more optional people before one missing fewer.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.model import Availability, BusyBlock, FreeBusyStatus, WorkingHours
from scheduling.slots import AttendanceStatus, SlotRequest, Suggestion, blocking_statuses, find_slots
from tests.scheduling.test_slot_properties import ZONES, _clashes, _inside_working_hours

TEAM_SIZE = 20
DAYS = 61
# Windows that start around Europe's and North America's spring change and the southern autumn one.
WINDOW_STARTS = [datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 20, tzinfo=UTC),
                 datetime(2025, 9, 15, tzinfo=UTC)]
PAGES = 3


@st.composite
def member(draw: st.DrawFn, index: int, zones: list[str], window_start: datetime) -> Availability:
    start_quarter = draw(st.integers(0, 4 * 10))
    end_quarter = draw(st.integers(max(start_quarter + 4, 4 * 13), 4 * 24 - 1))
    hours = WorkingHours(
        draw(st.sampled_from([frozenset(range(1, 6)), frozenset(range(1, 8))])),
        time(start_quarter // 4, 15 * (start_quarter % 4)),
        time(end_quarter // 4, 15 * (end_quarter % 4)),
        ZoneInfo(draw(st.sampled_from(zones))),
    )
    blocks = []
    for _ in range(draw(st.integers(0, 25))):
        start = window_start + timedelta(minutes=5 * draw(st.integers(-288, DAYS * 288)))
        minutes = draw(st.one_of(st.integers(5, 180), st.integers(5, 180), st.integers(60, 3 * 24 * 60)))
        blocks.append(BusyBlock(start, start + timedelta(minutes=minutes), draw(st.sampled_from(list(FreeBusyStatus)))))
    known = draw(st.sampled_from([True, True, True, True, False])) if index else True
    return Availability(f"person{index}@contoso.com", known, tuple(blocks), hours, time_zone=hours.tz)


@st.composite
def team_searches(draw: st.DrawFn) -> tuple[SlotRequest, list[Availability], frozenset[str]]:
    window_start = draw(st.sampled_from(WINDOW_STARTS)) + timedelta(hours=draw(st.integers(0, 23)))
    # A few zones per team, so that the required people's hours often overlap and there is something to check.
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True))
    people = [draw(member(index, zones, window_start)) for index in range(TEAM_SIZE)]
    optional = frozenset(person.email for person in people[1:] if draw(st.booleans()) or draw(st.booleans()))
    request = SlotRequest(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 60]))),
        window_start=window_start,
        window_end=window_start + timedelta(days=DAYS),
        now=window_start - timedelta(hours=1),
        step=timedelta(minutes=5),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 0, 10]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 0, 5]))),
        max_results=draw(st.integers(1, 40)),
        blocking=blocking_statuses(tentative=draw(st.booleans()), out_of_office=draw(st.booleans()),
                                   working_elsewhere=draw(st.booleans())),
    )
    return request, people, optional


def _expected_status(suggestion: Suggestion, person: Availability, required: bool, request: SlotRequest
                     ) -> AttendanceStatus:
    if required:
        return AttendanceStatus.FREE if person.known else AttendanceStatus.UNREADABLE
    if not _inside_working_hours(suggestion.start, suggestion.end, person):
        return AttendanceStatus.OUTSIDE_HOURS
    if not person.known:
        return AttendanceStatus.UNREADABLE
    if _clashes(suggestion.start, suggestion.end, person, request):
        return AttendanceStatus.BUSY
    return AttendanceStatus.FREE


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(team_searches())
def test_twenty_calendars_over_61_days_never_offer_a_time_a_required_person_cannot_make(
    search: tuple[SlotRequest, list[Availability], frozenset[str]],
) -> None:
    request, people, optional = search
    required = [person for person in people if person.email not in optional]
    pages: list[list[Suggestion]] = []
    offset: int | None = 0
    while offset is not None and len(pages) < PAGES:
        result = find_slots(request, people, offset=offset, optional=optional)
        pages.append(result.suggestions)
        offset = result.next_offset
    for page in pages:
        for suggestion in page:
            assert request.window_start <= suggestion.start and suggestion.end <= request.window_end
            for person in required:
                assert _inside_working_hours(suggestion.start, suggestion.end, person), (suggestion.start, person)
                assert not _clashes(suggestion.start, suggestion.end, person, request), (suggestion.start, person)
            unreadable = tuple(person.email for person in required if not person.known)
            assert suggestion.unverified_people == unreadable and suggestion.verified == (not unreadable)
            assert [(a.email, a.required) for a in suggestion.attendance] == [
                (person.email, person.email not in optional) for person in people
            ]
            for attendance, person in zip(suggestion.attendance, people, strict=True):
                assert attendance.status is _expected_status(suggestion, person, attendance.required, request)
    missing = [[len(suggestion.missing_optional) for suggestion in page] for page in pages if page]
    for earlier, later in zip(missing, missing[1:], strict=False):
        assert max(earlier) <= min(later), "a time missing more optional people was ranked first"
