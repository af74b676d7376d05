"""Property test: the time asked for by name, then the nearest times, exactly as a plain reference gives them.

nearest_first orders only the starts a page reaches and builds only the page's suggestions. The reference
below does the obvious thing instead: every suggestion the slot finder can make, sorted by distance from the
time asked for, a time overlapping an earlier-listed one moved after all the separate ones, then sliced.
Both must give the same page (every field of every suggestion), the same paging and the same "why not".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.model import Availability
from scheduling.requested import nearest_first, why_not
from scheduling.slots import SlotRequest, SlotSearchResult, Suggestion, blocking_statuses, find_slots
from tests.scheduling.test_team_properties import member

DAYS = 10
WINDOW_START = datetime(2025, 3, 24, tzinfo=UTC)  # Europe's spring change falls inside the window


def reference(request: SlotRequest, people: list[Availability], wanted: datetime, names: list[str], offset: int,
              reason_names: dict[str, str], optional: frozenset[str]) -> tuple[SlotSearchResult, str | None]:
    """Every slot as a full suggestion, nearest first, the overlapping ones last; then one page of them."""
    total = find_slots(request, people, optional=optional).total
    everything = find_slots(replace(request, max_results=max(total, 1)), people, names=reason_names,
                            optional=optional)
    by_distance = sorted(everything.suggestions, key=lambda slot: (abs(slot.start - wanted), slot.start))
    separate: list[Suggestion] = []
    overlapping: list[Suggestion] = []
    for slot in by_distance:
        clash = any(slot.start < other.end and other.start < slot.end for other in separate)
        (overlapping if clash else separate).append(slot)
    ordered = separate + overlapping
    page = ordered[offset:offset + request.max_results]
    next_offset = offset + len(page) if offset + len(page) < len(ordered) else None
    result = SlotSearchResult(page, everything.no_slot_reason, next_offset, everything.no_slot_person,
                              everything.out_of_office_until, total=len(ordered))
    free_then = bool(ordered) and ordered[0].start == wanted
    return result, None if free_then else why_not(request, people, wanted, names)


@st.composite
def searches(draw: st.DrawFn) -> tuple[SlotRequest, list[Availability], frozenset[str]]:
    window_start = WINDOW_START + timedelta(hours=draw(st.integers(0, 23)))
    zones = draw(st.lists(st.sampled_from(["Europe/London", "America/New_York", "Asia/Kolkata", "UTC"]),
                          min_size=1, max_size=2, unique=True))
    people = [draw(member(index, zones, window_start)) for index in range(draw(st.integers(1, 6)))]
    optional = frozenset(person.email for person in people[1:] if draw(st.booleans()))
    request = SlotRequest(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 60, 90]))),
        window_start=window_start,
        window_end=window_start + timedelta(days=DAYS),
        now=window_start - timedelta(hours=draw(st.sampled_from([1, -30]))),  # sometimes the window has begun
        step=timedelta(minutes=draw(st.sampled_from([5, 15, 30]))),
        buffer_before=timedelta(minutes=draw(st.sampled_from([0, 0, 10]))),
        max_results=draw(st.integers(1, 8)),
        blocking=blocking_statuses(tentative=draw(st.booleans())),
    )
    return request, people, optional


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(searches(), st.data())
def test_the_nearest_times_are_those_of_a_plain_reference(
    search: tuple[SlotRequest, list[Availability], frozenset[str]], data: st.DataObject,
) -> None:
    request, people, optional = search
    starts = [slot.start for slot in find_slots(replace(request, max_results=1000), people, optional=optional)
              .suggestions]
    ask_for_a_fitting_time = data.draw(st.booleans(), label="ask for a time that fits")
    if starts and ask_for_a_fitting_time:
        wanted = data.draw(st.sampled_from(starts), label="wanted")
    else:  # any minute from a day before the window to a day after it
        minutes = data.draw(st.integers(-24 * 60, (DAYS + 1) * 24 * 60), label="minutes from the window start")
        wanted = request.window_start + timedelta(minutes=minutes)
    names = ["you", *(f"Person {index}" for index in range(1, len(people)))]
    reason_names = {person.email: name for person, name in zip(people, names, strict=True)}
    offsets = [0, data.draw(st.integers(0, len(starts) + 2), label="a later page")]

    for offset in offsets:
        fast = nearest_first(request, people, wanted, names, offset, reason_names=reason_names, optional=optional)
        expected, expected_why_not = reference(request, people, wanted, names, offset, reason_names, optional)
        assert fast.result == expected, (wanted, offset)
        assert fast.why_not == expected_why_not
