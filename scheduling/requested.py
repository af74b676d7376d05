"""One time asked for by name ("tomorrow at 3pm"): offered first when everyone is free then; otherwise the
reason it does not work, and the times nearest to it.

Pure, like scheduling/slots.py, whose search it reuses with its own order: the page is the slots closest to
the time asked for (the time itself first when it is free), not the best-ranked ones. Only the starts a page
reaches are ordered, and only the page's become suggestions: twenty people over two months fit thousands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from scheduling.model import Availability
from scheduling.slots import SlotRequest, SlotSearchResult, prepare_search
from scheduling.zones import as_utc, working_days


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
    if offset < 0:
        raise ValueError("offset cannot be negative")
    search = prepare_search(request, people, optional)
    if isinstance(search, SlotSearchResult):  # nothing fits: the finder's reason, and why not this time
        return NearestTimes(search, why_not(request, people, wanted, names))
    page = list(islice(search.nearest(wanted), offset, offset + request.max_results))
    result = search.page(page, offset, reason_names)
    if search.offers(wanted):  # the nearest of all, at distance 0
        return NearestTimes(result, None)
    return NearestTimes(result, why_not(request, people, wanted, names))


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
