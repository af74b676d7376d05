"""The slot finder: everyone's availability -> ranked meeting times, or an honest reason for none.

Pure logic. All instants are aware UTC; each person's working hours are applied in their own zone
with zoneinfo's rules, so DST changes and half-hour zones need no special cases here.

`people[0]` is the organizer ("you" in the texts); the others are attendees.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from scheduling.display import day_label, local_label, tz_abbrev
from scheduling.intervals import Interval, has_stretch, intersect, merge, subtract
from scheduling.model import Availability, FreeBusyStatus
from scheduling.zones import WorkingDay, as_utc, working_days

# Outlook's own reading of showAs: tentative and out-of-office keep time, working-elsewhere
# does not. Busy and unknown items always block; free items never do.
DEFAULT_BLOCKING: frozenset[FreeBusyStatus] = frozenset(
    {FreeBusyStatus.TENTATIVE, FreeBusyStatus.BUSY, FreeBusyStatus.OOF, FreeBusyStatus.UNKNOWN}
)

# A slot that starts or ends within this distance of someone's day start/end is "at the edge".
EDGE_MARGIN = timedelta(minutes=30)
# Suggestions on one page are spread out: at most this many per day per round, this far apart.
SLOTS_PER_DAY_PER_ROUND = 2
SPREAD = timedelta(minutes=90)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def blocking_statuses(
    *, tentative: bool = True, out_of_office: bool = True, working_elsewhere: bool = False
) -> frozenset[FreeBusyStatus]:
    """The statuses that keep time, from a tenant's settings. Busy and unknown always block."""
    statuses = {FreeBusyStatus.BUSY, FreeBusyStatus.UNKNOWN}
    if tentative:
        statuses.add(FreeBusyStatus.TENTATIVE)
    if out_of_office:
        statuses.add(FreeBusyStatus.OOF)
    if working_elsewhere:
        statuses.add(FreeBusyStatus.WORKING_ELSEWHERE)
    return frozenset(statuses)


@dataclass(frozen=True, kw_only=True)
class SlotRequest:
    """What to look for. Datetimes may be given in any zone; they are kept in UTC."""

    duration: timedelta
    window_start: datetime
    window_end: datetime
    now: datetime
    step: timedelta = timedelta(minutes=15)
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    minimum_notice: timedelta = timedelta(0)
    max_results: int = 5
    blocking: frozenset[FreeBusyStatus] = DEFAULT_BLOCKING

    def __post_init__(self) -> None:
        for name in ("window_start", "window_end", "now"):
            object.__setattr__(self, name, as_utc(name, getattr(self, name)))
        if self.duration <= timedelta(0):
            raise ValueError("duration must be positive")
        if self.step <= timedelta(0):
            raise ValueError("step must be positive")
        if min(self.buffer_before, self.buffer_after, self.minimum_notice) < timedelta(0):
            raise ValueError("buffers and minimum notice cannot be negative")
        if self.max_results < 1:
            raise ValueError("max_results must be at least 1")
        # Free never blocks, whatever the configuration says.
        object.__setattr__(self, "blocking", frozenset(self.blocking) - {FreeBusyStatus.FREE})

    @property
    def earliest_start(self) -> datetime:
        """The first moment a meeting may start: the window start, or now plus the notice."""
        return max(self.window_start, self.now + self.minimum_notice)


@dataclass(frozen=True)
class LocalTime:
    """A suggestion as one person reads it on their own clock."""

    email: str
    start_local: datetime
    end_local: datetime
    tz_abbrev: str
    label: str


@dataclass(frozen=True)
class Suggestion:
    start: datetime
    end: datetime
    score: float
    reasons: tuple[str, ...]
    verified: bool
    local_times: tuple[LocalTime, ...]
    # Whose calendars could not be read, so the slot is only known to fit their working hours.
    unverified_people: tuple[str, ...] = ()


class NoSlotReason(enum.Enum):
    NO_WORKING_HOURS_OVERLAP = "no_working_hours_overlap"
    ORGANIZER_UNAVAILABLE = "organizer_unavailable"
    ATTENDEE_OUT_OF_OFFICE = "attendee_out_of_office"
    ATTENDEE_BUSY = "attendee_busy"
    # Each side has free time, but never the same time (or not on the slot grid).
    NO_COMMON_FREE_TIME = "no_common_free_time"
    WINDOW_IN_PAST = "window_in_past"
    WINDOW_TOO_SHORT = "window_too_short"


def describe_no_slot(reason: NoSlotReason, person_name: str | None = None, until: date | None = None,
                     locale: str | None = None) -> str:
    """Plain words for a reason, naming the attendee it concerns when there is one."""
    name = person_name or "the other person"
    if reason is NoSlotReason.NO_WORKING_HOURS_OVERLAP:
        if person_name:
            return f"Your working hours and {person_name}'s do not overlap in this window."
        return "There are no shared working hours in this window."
    if reason is NoSlotReason.ORGANIZER_UNAVAILABLE:
        return "Your calendar has no free time long enough in this window."
    if reason is NoSlotReason.ATTENDEE_OUT_OF_OFFICE:
        if until is not None:
            return f"{name} is out of office until {day_label(until, locale)}."
        return f"{name} is out of office for this whole window."
    if reason is NoSlotReason.ATTENDEE_BUSY:
        return f"{name}'s calendar has no free time long enough in this window."
    if reason is NoSlotReason.NO_COMMON_FREE_TIME:
        return f"You and {name} both have free time in this window, but never at the same time for long enough."
    if reason is NoSlotReason.WINDOW_IN_PAST:
        return "This window has already passed, or starts too soon to book."
    return "This window is shorter than the meeting."


@dataclass(frozen=True)
class SlotSearchResult:
    suggestions: list[Suggestion]
    no_slot_reason: NoSlotReason | None
    next_offset: int | None
    # The attendee the reason is about (email), and for out-of-office the last local day they are out.
    no_slot_person: str | None = None
    out_of_office_until: date | None = None
    total: int = 0

    def no_slot_message(self, names: Mapping[str, str] | None = None, locale: str | None = None) -> str | None:
        """The reason in plain words, dates written for `locale`; `names` maps emails to display names."""
        if self.no_slot_reason is None:
            return None
        person_name = None
        if self.no_slot_person is not None:
            person_name = (names or {}).get(self.no_slot_person, self.no_slot_person)
        return describe_no_slot(self.no_slot_reason, person_name, self.out_of_office_until, locale)


# ----------------------------------------------------------------------------------------------


@dataclass
class _Person:
    availability: Availability
    days: list[WorkingDay]
    pieces: list[tuple[datetime, datetime, WorkingDay]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pieces = [(start, end, day) for day in self.days for start, end in day.pieces]
        self._piece_starts = [start for start, _, _ in self.pieces]

    def day_containing(self, start: datetime, end: datetime) -> WorkingDay | None:
        index = bisect.bisect_right(self._piece_starts, start) - 1
        if index >= 0 and self.pieces[index][1] >= end:
            return self.pieces[index][2]
        return None

    def working(self) -> list[Interval]:
        return [(start, end) for start, end, _ in self.pieces]


def _blocked(people: Sequence[Availability], request: SlotRequest) -> list[Interval]:
    """Blocking items of people whose calendars were read, widened by the buffers, merged.

    A slot [s, e) with buffers clashes with an item [b, c) when s - before < c and e + after > b,
    which is the same as [s, e) overlapping [b - after, c + before).
    """
    return merge(
        (block.start - request.buffer_after, block.end + request.buffer_before)
        for person in people
        if person.known
        for block in person.busy
        if block.status in request.blocking
    )


def _grid_starts(free: list[Interval], duration: timedelta, step: timedelta) -> list[datetime]:
    """Start times on the UTC step grid (multiples of `step` since the epoch) that fit in `free`."""
    starts: list[datetime] = []
    for start, end in free:
        steps_from_epoch = -((_EPOCH - start) // step)  # ceiling division
        candidate = _EPOCH + steps_from_epoch * step
        while candidate + duration <= end:
            starts.append(candidate)
            candidate += step
    return starts


def _possessive(index: int, people: Sequence[Availability], names: Mapping[str, str]) -> str:
    """Whose day a reason is about: "your" for the organizer, else the name the caller gave (or "their")."""
    if index == 0:
        return "your"
    name = names.get(people[index].email)
    return f"{name}'s" if name else "their"


def _together(count: int) -> str:
    """Who shares the free time: you alone, the two of you, or everyone."""
    return "you are" if count == 1 else ("you are both" if count == 2 else "everyone is")


@dataclass(frozen=True)
class _Ranked:
    start: datetime
    score: float
    comfortable: bool
    edges: tuple[tuple[str, int], ...]  # ("early" | "late", index of the person whose day edge it is)


def _rank(starts: list[datetime], persons: list[_Person], request: SlotRequest) -> list[_Ranked]:
    """Scores in (0, 1]: every slot away from all day edges beats every slot at an edge;
    inside each group, earlier beats later."""
    earliest = request.earliest_start
    span = request.window_end - earliest
    ranked: list[_Ranked] = []
    for start in starts:
        end = start + request.duration
        edges: list[tuple[str, int]] = []
        for index, person in enumerate(persons):
            day = person.day_containing(start, end)
            if day is None:  # cannot happen for a start taken from the shared working time
                raise AssertionError("slot outside a working day")
            if start - day.start < EDGE_MARGIN:
                edges.append(("early", index))
            if day.end - end < EDGE_MARGIN:
                edges.append(("late", index))
        comfortable = not edges
        earliness = 1 - (start - earliest) / span  # in (0, 1]: the slot ends inside the window
        score = round((int(comfortable) + earliness) / 2, 6)
        ranked.append(_Ranked(start, score, comfortable, tuple(edges)))
    ranked.sort(key=lambda item: (-item.score, item.start))
    apart, overlapping = _without_overlaps(ranked, request.duration)
    zone = persons[0].availability.zone()
    spacing = max(SPREAD, request.duration)
    return _spread(apart, zone, spacing) + _spread(overlapping, zone, spacing)


def _without_overlaps(ranked: list[_Ranked], duration: timedelta) -> tuple[list[_Ranked], list[_Ranked]]:
    """Splits the ranking into slots that overlap no better-ranked kept slot, and the rest.

    The rest come after every non-overlapping slot, so a page shows overlapping times only when nothing
    else is left to offer.
    """
    kept: list[datetime] = []
    apart: list[_Ranked] = []
    overlapping: list[_Ranked] = []
    for item in ranked:
        position = bisect.bisect_left(kept, item.start)
        neighbours = kept[max(position - 1, 0):position + 1]
        if any(abs(item.start - other) < duration for other in neighbours):
            overlapping.append(item)
        else:
            kept.insert(position, item.start)
            apart.append(item)
    return apart, overlapping


def _spread(ranked: list[_Ranked], organizer_zone: tzinfo, spacing: timedelta) -> list[_Ranked]:
    """Reorders the ranking in rounds so a page offers real choices, not five starts 15 minutes apart.

    Going down the score order, each slot joins the first round in which its organizer-local day has fewer
    than SLOTS_PER_DAY_PER_ROUND slots and none within `spacing` of it. The result is every round in turn,
    each in score order: the best times of each day come first, their neighbours later, nothing is dropped.
    """
    rounds_by_day: dict[date, list[list[datetime]]] = {}
    keyed: list[tuple[int, _Ranked]] = []
    for item in ranked:
        day_rounds = rounds_by_day.setdefault(item.start.astimezone(organizer_zone).date(), [])
        round_index = 0
        while round_index < len(day_rounds) and (
            len(day_rounds[round_index]) >= SLOTS_PER_DAY_PER_ROUND
            or any(abs(item.start - other) < spacing for other in day_rounds[round_index])
        ):
            round_index += 1
        if round_index == len(day_rounds):
            day_rounds.append([])
        day_rounds[round_index].append(item.start)
        keyed.append((round_index, item))
    keyed.sort(key=lambda pair: (pair[0], -pair[1].score, pair[1].start))
    return [item for _, item in keyed]


def _suggestion(item: _Ranked, persons: list[_Person], request: SlotRequest, reasons: list[str]) -> Suggestion:
    end = item.start + request.duration
    local_times = []
    for person in persons:
        tz = person.availability.zone()
        start_local, end_local = item.start.astimezone(tz), end.astimezone(tz)
        local_times.append(
            LocalTime(
                email=person.availability.email,
                start_local=start_local,
                end_local=end_local,
                tz_abbrev=tz_abbrev(start_local),
                label=local_label(item.start, end, tz),
            )
        )
    unverified = tuple(person.availability.email for person in persons if not person.availability.known)
    return Suggestion(
        start=item.start,
        end=end,
        score=item.score,
        reasons=tuple(reasons),
        verified=not unverified,
        local_times=tuple(local_times),
        unverified_people=unverified,
    )


def _reasons_for(item: _Ranked, earliest_start: datetime, only_one: bool, persons: list[_Person],
                 shared: list[Interval], free: list[Interval], request: SlotRequest,
                 names: Mapping[str, str]) -> list[str]:
    """At most two short reasons in everyday words: "early in Ben's day", "both free all afternoon"."""
    people = [person.availability for person in persons]
    together = _together(len(people))
    reasons = [f"{kind} in {_possessive(index, people, names)} day" for kind, index in item.edges]
    if only_one:
        reasons.append("the only time that fits" if len(people) == 1 else f"the only time {together} free")
    elif item.start == earliest_start:
        reasons.append("the earliest time that fits" if len(people) == 1 else f"the earliest time {together} free")
    end = item.start + request.duration
    stretch = _containing(free, item.start, end)
    working = _containing(shared, item.start, end)
    part = _part_of_day(item.start, persons[0])
    if stretch is not None and working is not None and part is not None and (
        stretch[0] <= max(part[1], working[0]) and min(part[2], working[1]) <= stretch[1]
    ):
        who = "you are" if len(people) == 1 else ("both" if len(people) == 2 else "everyone")
        reasons.append(f"{who} free all {part[0]}")
    elif stretch == (item.start, end) and len(reasons) < 2:
        reasons.append("fits between other meetings")
    return reasons[:2]


def _containing(intervals: list[Interval], start: datetime, end: datetime) -> Interval | None:
    return next(((first, last) for first, last in intervals if first <= start and end <= last), None)


def _part_of_day(start: datetime, organizer: _Person) -> tuple[str, datetime, datetime] | None:
    """The organizer's morning or afternoon (their working day split at local noon) that `start` falls in."""
    day = organizer.day_containing(start, start)
    if day is None:
        return None
    zone = organizer.availability.zone()
    noon = datetime.combine(start.astimezone(zone).date(), time(12), tzinfo=zone).astimezone(UTC)
    if start < noon:
        return ("morning", day.start, min(noon, day.end)) if day.start < noon else None
    return ("afternoon", max(noon, day.start), day.end) if day.end > noon else None


def find_slots(request: SlotRequest, people: list[Availability], offset: int = 0,
               names: Mapping[str, str] | None = None) -> SlotSearchResult:
    """The best meeting times for everyone in `people` (organizer first), one page in time order.

    The ranking decides which times make a page; the page lists them in time order. `offset` pages
    through the same ranking ("More times"): the result's `next_offset` is the offset for the next page,
    or None when there is none. `names` maps attendees' emails to the names the reasons use.
    """
    if not people:
        raise ValueError("find_slots needs at least the organizer")
    if offset < 0:
        raise ValueError("offset cannot be negative")
    earliest = request.earliest_start
    if request.window_end <= earliest:
        return SlotSearchResult([], NoSlotReason.WINDOW_IN_PAST, None)
    if request.window_end - earliest < request.duration:
        return SlotSearchResult([], NoSlotReason.WINDOW_TOO_SHORT, None)

    persons = [
        _Person(person, working_days(person.effective_working_hours(), earliest, request.window_end))
        for person in people
    ]
    shared: list[Interval] = [(earliest, request.window_end)]
    for person in persons:
        shared = intersect(shared, person.working())
    free = subtract(shared, _blocked(people, request))
    ranked = _rank(_grid_starts(free, request.duration, request.step), persons, request)
    if not ranked:
        return _explain_no_slot(request, persons, shared)

    page = sorted(ranked[offset : offset + request.max_results], key=lambda item: item.start)
    earliest_start = min(item.start for item in ranked)
    only_one = len(ranked) == 1
    suggestions = [
        _suggestion(item, persons, request,
                    _reasons_for(item, earliest_start, only_one, persons, shared, free, request, names or {}))
        for item in page
    ]
    next_offset = offset + len(page) if offset + len(page) < len(ranked) else None
    return SlotSearchResult(suggestions, None, next_offset, total=len(ranked))


def _explain_no_slot(request: SlotRequest, persons: list[_Person], shared: list[Interval]) -> SlotSearchResult:
    """Why nothing fits, judged from the data in order of what the user can act on."""
    window: list[Interval] = [(request.earliest_start, request.window_end)]
    duration = request.duration
    organizer, attendees = persons[0], persons[1:]

    if not has_stretch(shared, duration):
        organizer_hours = intersect(window, organizer.working())
        for attendee in attendees:
            if not has_stretch(intersect(organizer_hours, attendee.working()), duration):
                return SlotSearchResult(
                    [], NoSlotReason.NO_WORKING_HOURS_OVERLAP, None, no_slot_person=attendee.availability.email
                )
        return SlotSearchResult([], NoSlotReason.NO_WORKING_HOURS_OVERLAP, None)

    if FreeBusyStatus.OOF in request.blocking:
        for attendee in attendees:
            if not attendee.availability.known:
                continue
            out = merge(
                (block.start, block.end) for block in attendee.availability.busy if block.status is FreeBusyStatus.OOF
            )
            if out and not has_stretch(subtract(shared, out), duration):
                return SlotSearchResult(
                    [],
                    NoSlotReason.ATTENDEE_OUT_OF_OFFICE,
                    None,
                    no_slot_person=attendee.availability.email,
                    out_of_office_until=_last_day_out(out, shared, attendee),
                )

    if not has_stretch(subtract(shared, _blocked([organizer.availability], request)), duration):
        return SlotSearchResult([], NoSlotReason.ORGANIZER_UNAVAILABLE, None)
    for attendee in attendees:
        if not has_stretch(subtract(shared, _blocked([attendee.availability], request)), duration):
            return SlotSearchResult([], NoSlotReason.ATTENDEE_BUSY, None, no_slot_person=attendee.availability.email)
    first_attendee = attendees[0].availability.email if attendees else None
    return SlotSearchResult([], NoSlotReason.NO_COMMON_FREE_TIME, None, no_slot_person=first_attendee)


def _last_day_out(out: list[Interval], shared: list[Interval], attendee: _Person) -> date:
    """The attendee's local date on which the absence covering the window's last shared hour ends.

    An all-day absence ends at local midnight; the day before that midnight is the last day out.
    """
    last_moment = shared[-1][1] - timedelta(microseconds=1)
    started = [interval for interval in out if interval[0] <= last_moment]
    covering = started[-1] if started else out[-1]
    return (covering[1] - timedelta(microseconds=1)).astimezone(attendee.availability.zone()).date()


def is_slot_still_free(
    start: datetime,
    end: datetime,
    people: list[Availability],
    blocking: frozenset[FreeBusyStatus] = DEFAULT_BLOCKING,
    *,
    buffer_before: timedelta = timedelta(0),
    buffer_after: timedelta = timedelta(0),
) -> bool:
    """The re-check just before booking, on freshly read availability.

    False when any blocking item (widened by the buffers) overlaps [start, end), and also when
    someone's calendar could not be read: unknown never counts as free.
    """
    start = as_utc("start", start)
    end = as_utc("end", end)
    blocking = frozenset(blocking) - {FreeBusyStatus.FREE}
    for person in people:
        if not person.known:
            return False
        for block in person.busy:
            if block.status in blocking and block.start - buffer_after < end and block.end + buffer_before > start:
                return False
    return True
