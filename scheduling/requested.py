"""One time asked for by name ("tomorrow at 3pm"): offered first when everyone is free then; otherwise the
reason it does not work, and the times nearest to it.

Pure, like scheduling/slots.py, whose ranking it reorders: the page is the slots closest to the time
asked for (the time itself first when it is free), not the best-ranked ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from scheduling.model import Availability
from scheduling.slots import SlotRequest, SlotSearchResult, Suggestion, find_slots
from scheduling.zones import as_utc, working_days

# Every slot of a window (8 weeks of 15-minute steps at most) is ranked before the nearest are picked.
_ALL = 8 * 7 * 24 * 4


@dataclass(frozen=True)
class NearestTimes:
    result: SlotSearchResult  # the page, nearest first
    # Why the time asked for is not offered ("Ben is busy then"), None when it is the first suggestion.
    why_not: str | None


def nearest_first(request: SlotRequest, people: list[Availability], wanted: datetime, names: Sequence[str],
                  offset: int = 0, reason_names: Mapping[str, str] | None = None,
                  optional: frozenset[str] | set[str] = frozenset()) -> NearestTimes:
    """The slots of `request` ordered by their distance from `wanted`; `names[i]` names `people[i]`
    in the reason ("you" for the organizer); `reason_names` maps emails to the names each slot's reasons use
    and `optional` holds the optional people's emails (both as in find_slots)."""
    wanted = as_utc("wanted", wanted)
    everything = find_slots(replace(request, max_results=_ALL), people, names=reason_names, optional=optional)
    ordered = _apart(sorted(everything.suggestions, key=lambda slot: (abs(slot.start - wanted), slot.start)))
    page = ordered[offset:offset + request.max_results]
    next_offset = offset + len(page) if offset + len(page) < len(ordered) else None
    result = SlotSearchResult(page, everything.no_slot_reason, next_offset, everything.no_slot_person,
                              everything.out_of_office_until, total=len(ordered))
    if ordered and ordered[0].start == wanted:
        return NearestTimes(result, None)
    return NearestTimes(result, why_not(request, people, wanted, names))


def _apart(by_distance: list[Suggestion]) -> list[Suggestion]:
    """Nearest first, but a slot overlapping one already listed waits until every separate one is listed:
    "11:30, 10:00, 12:00" rather than "11:30, 11:45, 12:00"."""
    separate: list[Suggestion] = []
    overlapping: list[Suggestion] = []
    for slot in by_distance:
        clash = any(slot.start < other.end and other.start < slot.end for other in separate)
        (overlapping if clash else separate).append(slot)
    return separate + overlapping


def why_not(request: SlotRequest, people: list[Availability], wanted: datetime, names: Sequence[str]) -> str:
    """What keeps a meeting from starting at `wanted`: the past, someone's working hours, someone's calendar."""
    end = wanted + request.duration
    if wanted < request.earliest_start:
        return "that time has already passed"
    reasons: list[str] = []
    for person, name in zip(people, names, strict=True):
        owner = "your" if name == "you" else f"{name}'s"
        days = working_days(person.effective_working_hours(), wanted, end)
        if not any(start <= wanted and end <= stop for day in days for start, stop in day.pieces):
            reasons.append(f"it is outside {owner} working hours")
        elif not person.known:
            reasons.append(f"I couldn't read {owner} calendar")
        elif any(block.status in request.blocking and block.start < end and wanted < block.end
                 for block in person.busy):
            reasons.append("you are busy then" if name == "you" else f"{name} is busy then")
    return " and ".join(reasons) or "it is not free for both of you"
