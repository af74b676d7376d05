"""Property tests: whatever the calendars, zones and windows, suggestions are honest.

The oracle below judges a slot by reading the clock in each person's zone every five minutes
through the meeting, independently of how the slot finder computes working days.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.model import Availability, BusyBlock, FreeBusyStatus, WorkingHours
from scheduling.slots import SlotRequest, Suggestion, find_slots

ZONES = [
    "Asia/Kolkata",
    "America/St_Johns",
    "Australia/Sydney",
    "America/Santiago",
    "Europe/London",
    "America/Los_Angeles",
    "Pacific/Auckland",
    "Australia/Lord_Howe",
    "UTC",
]
# Days on which some of the zones above change their clocks (2025), in both hemispheres.
TRANSITION_DAYS = [
    datetime(2025, 3, 9, tzinfo=UTC),  # United States, Newfoundland
    datetime(2025, 3, 30, tzinfo=UTC),  # Europe
    datetime(2025, 4, 6, tzinfo=UTC),  # Sydney, Auckland, Santiago, Lord Howe go back
    datetime(2025, 9, 7, tzinfo=UTC),  # Santiago forward at midnight
    datetime(2025, 9, 28, tzinfo=UTC),  # Auckland forward
    datetime(2025, 10, 5, tzinfo=UTC),  # Sydney, Lord Howe forward
    datetime(2025, 10, 26, tzinfo=UTC),  # Europe back
    datetime(2025, 11, 2, tzinfo=UTC),  # United States, Newfoundland back
]
QUARTER = timedelta(minutes=15)
SAMPLE = timedelta(minutes=5)


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    # Quarter-hour starts and ends, often long days so that zones far apart still meet, and
    # often in the small hours where clocks change.
    start_quarter = draw(st.integers(0, 4 * 9))
    end_quarter = draw(st.integers(max(start_quarter + 2, 4 * 14), 4 * 24 - 1))
    days = draw(st.sampled_from([frozenset(range(1, 8)), frozenset(range(1, 8)), frozenset(range(1, 6))]))
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    return WorkingHours(
        days, time(start_quarter // 4, 15 * (start_quarter % 4)), time(end_quarter // 4, 15 * (end_quarter % 4)), zone
    )


@st.composite
def availability(draw: st.DrawFn, index: int, around: datetime) -> Availability:
    blocks = []
    for _ in range(draw(st.integers(0, 5))):
        start = around + timedelta(minutes=draw(st.integers(-24 * 60, 4 * 24 * 60)))
        # Mostly meetings, sometimes absences of days.
        minutes = draw(st.one_of(st.integers(1, 2 * 60), st.integers(1, 2 * 60), st.integers(1, 3 * 24 * 60)))
        blocks.append(BusyBlock(start, start + timedelta(minutes=minutes), draw(st.sampled_from(list(FreeBusyStatus)))))
    # Attendees sometimes have no working hours (Outlook's default applies) or an unreadable calendar.
    hours = draw(st.one_of(st.none(), working_hours(), working_hours())) if index else draw(working_hours())
    return Availability(
        email=f"person{index}@contoso.com",
        known=draw(st.sampled_from([True, True, True, False])) if index else True,
        busy=tuple(blocks),
        working_hours=hours,
        time_zone=ZoneInfo(draw(st.sampled_from(ZONES))),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[SlotRequest, list[Availability]]:
    day = draw(st.sampled_from(TRANSITION_DAYS))
    window_start = day + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 24 * 60)))
    length = draw(st.one_of(st.integers(30, 6 * 60), st.integers(6 * 60, 4 * 24 * 60)))
    window_end = window_start + timedelta(minutes=length)
    people = [draw(availability(index, window_start)) for index in range(draw(st.sampled_from([1, 2, 2, 3])))]
    request = SlotRequest(
        duration=timedelta(minutes=draw(st.sampled_from([15, 25, 30, 45, 60, 90]))),
        window_start=window_start,
        window_end=window_end,
        now=window_start + timedelta(minutes=draw(st.integers(-24 * 60, 3 * 60))),
        step=timedelta(minutes=draw(st.sampled_from([5, 15, 30, 60]))),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 5, 15]))),
        buffer_after=timedelta(minutes=draw(st.sampled_from([0, 10, 30]))),
        minimum_notice=timedelta(minutes=draw(st.sampled_from([0, 0, 60, 24 * 60]))),
        max_results=draw(st.integers(1, 7)),
        blocking=draw(st.frozensets(st.sampled_from(list(FreeBusyStatus)))),
    )
    return request, people


def _inside_working_hours(start: datetime, end: datetime, person: Availability) -> bool:
    hours = person.working_hours or WorkingHours.default(person.time_zone or UTC)
    first_local = start.astimezone(hours.tz)
    moments = [start + SAMPLE * k for k in range(int((end - start) / SAMPLE))] + [end - timedelta(microseconds=1)]
    for moment in moments:
        local = moment.astimezone(hours.tz)
        if local.date() != first_local.date() or local.isoweekday() not in hours.days:
            return False
        if not hours.start <= local.time() < hours.end:
            return False
    return True


def _clashes(start: datetime, end: datetime, person: Availability, request: SlotRequest) -> bool:
    if not person.known:
        return False
    return any(
        block.status in request.blocking
        and block.status is not FreeBusyStatus.FREE
        and start - request.buffer_before < block.end
        and end + request.buffer_after > block.start
        for block in person.busy
    )


def _acceptable(start: datetime, request: SlotRequest, people: list[Availability]) -> bool:
    end = start + request.duration
    return (
        start >= request.window_start
        and end <= request.window_end
        and start >= request.now + request.minimum_notice
        and all(_inside_working_hours(start, end, person) for person in people)
        and not any(_clashes(start, end, person, request) for person in people)
    )


def _all_pages(request: SlotRequest, people: list[Availability]) -> list[Suggestion]:
    suggestions: list[Suggestion] = []
    offset: int | None = 0
    while offset is not None:
        page = find_slots(request, people, offset=offset)
        assert len(page.suggestions) <= request.max_results
        page_starts = [suggestion.start for suggestion in page.suggestions]
        assert page_starts == sorted(page_starts), "a page lists its times in time order"
        if offset == 0 and not page.suggestions:
            assert page.no_slot_reason is not None
        suggestions.extend(page.suggestions)
        offset = page.next_offset
    return suggestions


PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_suggestion_is_honest(scenario: tuple[SlotRequest, list[Availability]]) -> None:
    request, people = scenario
    suggestions = _all_pages(request, people)
    for suggestion in suggestions:
        assert suggestion.end - suggestion.start == request.duration
        assert _acceptable(suggestion.start, request, people), suggestion
        assert suggestion.verified == all(person.known for person in people)
        assert [local.email for local in suggestion.local_times] == [person.email for person in people]
        for local, person in zip(suggestion.local_times, people, strict=True):
            # Same instant. (Not `==`: PEP 495 makes an ambiguous local time, e.g. 01:00 on the night
            # clocks go back, unequal to every datetime of another zone.)
            assert local.start_local.timestamp() == suggestion.start.timestamp()
            assert local.start_local.utcoffset() == suggestion.start.astimezone(person.zone()).utcoffset()
    starts = [suggestion.start for suggestion in suggestions]
    assert len(starts) == len(set(starts)), "a slot was suggested twice across pages"
    if suggestions:
        best = min(suggestions, key=lambda suggestion: (-suggestion.score, suggestion.start))
        first_page = find_slots(request, people).suggestions
        assert best in first_page, "the best-scored slot must be on the first page"


@PROPERTY_SETTINGS
@given(scenarios())
def test_no_acceptable_grid_slot_is_missed(scenario: tuple[SlotRequest, list[Availability]]) -> None:
    request, people = scenario
    found = {suggestion.start for suggestion in _all_pages(request, people)}
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    candidate = epoch + -((epoch - request.window_start) // request.step) * request.step
    expected = set()
    while candidate + request.duration <= request.window_end:
        if _acceptable(candidate, request, people):
            expected.add(candidate)
        candidate += request.step
    assert found == expected
