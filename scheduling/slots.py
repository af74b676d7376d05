"""The slot finder: everyone's availability -> ranked meeting times, or an honest reason for none.

Pure logic. All instants are aware UTC; each person's working hours are applied in their own zone
with zoneinfo's rules, so DST changes and half-hour zones need no special cases here.

`people[0]` is the organizer ("you" in the texts); the others are attendees, each required (the
default) or optional. Required people must all be free; optional ones only rank the times: first the
times every optional person can make, then those missing the fewest (issue 11).
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from scheduling.display import day_label, local_label, tz_abbrev
from scheduling.intervals import Interval, has_stretch, intersect, merge, subtract
from scheduling.model import Availability, FreeBusyStatus, WorkingHours
from scheduling.zones import WorkingDay, as_utc, working_days
from scheduling.zones import forget_offsets as zone_offsets_cache_clear

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

    @property
    def label(self) -> str:
        """ "Tue 25 Nov, 09:00–09:30 PST": made when asked for, since a page for 20 people rarely shows all."""
        return local_label(self.start_local, self.end_local, self.start_local.tzinfo or UTC)


class AttendanceStatus(enum.Enum):
    """Whether one person can come to a suggested time."""

    FREE = "free"  # inside their working hours, nothing blocking on their calendar
    BUSY = "busy"  # a blocking item (buffers included) overlaps the time: only ever an optional person
    UNREADABLE = "unreadable"  # their calendar could not be read: never counted as free
    OUTSIDE_HOURS = "outside_hours"  # outside their working hours: only ever an optional person


@dataclass(frozen=True)
class Attendance:
    """One person at one suggested time. A required person is FREE, or UNREADABLE when their calendar
    could not be read (the time then only fits their working hours); an optional one can be anything."""

    email: str
    status: AttendanceStatus
    required: bool

    @property
    def free(self) -> bool:
        return self.status is AttendanceStatus.FREE


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
    # Everyone in the order they were given (organizer first): who is free, busy, unreadable, away.
    attendance: tuple[Attendance, ...] = ()

    def people_with(self, status: AttendanceStatus) -> tuple[str, ...]:
        """The emails of the people in `status` at this time, in the order they were given."""
        return tuple(person.email for person in self.attendance if person.status is status)

    @property
    def missing_optional(self) -> tuple[str, ...]:
        """Optional people who cannot come, or whose calendar could not be read (not counted as free)."""
        return tuple(person.email for person in self.attendance if not person.required and not person.free)


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
# The ranking works on whole microseconds since the epoch: tens of thousands of starts for twenty people
# over two months compare and step as plain ints, and only a page's times become datetimes again.

_MICROSECOND = timedelta(microseconds=1)
_DAY_US = 86_400_000_000


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True)
class _WorkingTime:
    """One set of working hours over one window: its working days' pieces, in time order."""

    pieces: tuple[tuple[datetime, datetime, WorkingDay], ...]
    piece_starts: tuple[datetime, ...]
    intervals: tuple[Interval, ...]


@lru_cache(maxsize=256)
def _working_time(hours: WorkingHours, window_start: datetime, window_end: datetime) -> _WorkingTime:
    """Remembered: colleagues often share hours and a zone, and the same window is searched again for
    "More times". Pure and frozen, so sharing the answer between searches is safe."""
    days = tuple(working_days(hours, window_start, window_end))
    pieces = tuple((start, end, day) for day in days for start, end in day.pieces)
    return _WorkingTime(pieces, tuple(start for start, _, _ in pieces),
                        tuple((start, end) for start, end, _ in pieces))


def forget_working_time() -> None:
    """Drops the remembered working days and zone offsets, so the next search computes them afresh
    (bench/ measures a first search this way)."""
    _working_time.cache_clear()
    zone_offsets_cache_clear()


@dataclass
class _Person:
    availability: Availability
    time: _WorkingTime
    required: bool = True

    def day_containing(self, start: datetime, end: datetime) -> WorkingDay | None:
        index = bisect.bisect_right(self.time.piece_starts, start) - 1
        if index >= 0 and self.time.pieces[index][1] >= end:
            return self.time.pieces[index][2]
        return None

    def working(self) -> list[Interval]:
        return list(self.time.intervals)


def _blocked(people: Sequence[Availability], request: SlotRequest) -> list[Interval]:
    """Blocking items of people whose calendars were read, widened by the buffers, merged.

    A slot [s, e) with buffers clashes with an item [b, c) when s - before < c and e + after > b,
    which is the same as [s, e) overlapping [b - after, c + before).
    """
    blocks = [block for person in people if person.known for block in person.busy if block.status in request.blocking]
    if not request.buffer_before and not request.buffer_after:
        return merge((block.start, block.end) for block in blocks)
    return merge((block.start - request.buffer_after, block.end + request.buffer_before) for block in blocks)


def _possessive(index: int, people: Sequence[Availability], names: Mapping[str, str]) -> str:
    """Whose day a reason is about: "your" for the organizer, else the name the caller gave (or "their")."""
    if index == 0:
        return "your"
    name = names.get(people[index].email)
    return f"{name}'s" if name else "their"


def _together(count: int) -> str:
    """Who shares the free time: you alone, the two of you, or everyone."""
    return "you are" if count == 1 else ("you are both" if count == 2 else "everyone is")


@dataclass
class _Candidates:
    """Every start on the step grid at which all required people are free, in time order, with what ranks it.

    `comfortable`: away from every required person's day edges (EDGE_MARGIN). `day`: the organizer's local
    date, as a day number. `missing`: how many optional people cannot come.
    """

    starts: list[int] = field(default_factory=list)
    comfortable: list[bool] = field(default_factory=list)
    day: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)


def _candidates(free: list[Interval], required: list[_Person], request: SlotRequest) -> _Candidates:
    """Grid starts in `free`, judged a whole free interval at a time rather than start by start.

    `free` comes from intersecting and subtracting lists whose touching pieces stay apart, so each free
    interval lies inside one working day of each required person: one day lookup per person per interval
    says where every start in it stands. A start is comfortable when it is at least EDGE_MARGIN after the
    latest of those days' starts and its end at least EDGE_MARGIN before the earliest of their ends.
    """
    found = _Candidates()
    step, duration, margin = request.step // _MICROSECOND, request.duration // _MICROSECOND, EDGE_MARGIN // _MICROSECOND
    zone = required[0].availability.zone()
    for start, end in free:
        low, high = _micros(start), _micros(end)
        first = -(-low // step) * step
        last = high - duration
        if first > last:
            continue
        starts = range(first, last + 1, step)
        days = [day for day in (person.day_containing(start, end) for person in required) if day is not None]
        if len(days) != len(required):  # cannot happen: free time is inside everyone's working time
            raise AssertionError("free time outside a working day")
        calm_from = _micros(max(day.start for day in days)) + margin
        calm_until = _micros(min(day.end for day in days)) - margin - duration
        found.starts.extend(starts)
        found.comfortable.extend([calm_from <= moment <= calm_until for moment in starts])
        offset = start.astimezone(zone).utcoffset()
        if offset == end.astimezone(zone).utcoffset() and offset is not None:
            shift = offset // _MICROSECOND
            found.day.extend([(moment + shift) // _DAY_US for moment in starts])
        else:  # the organizer's clocks change inside this free time
            found.day.extend([_local_day(moment, zone) for moment in starts])
    found.missing = [0] * len(found.starts)
    return found


def _local_day(moment: int, zone: tzinfo) -> int:
    offset = _instant(moment).astimezone(zone).utcoffset() or timedelta(0)
    return (moment + offset // _MICROSECOND) // _DAY_US


@dataclass
class _Optional:
    """An optional person: where they could come (microseconds, for counting), and what blocks them."""

    person: _Person
    available: list[tuple[int, int]]
    busy_starts: list[datetime]
    busy_ends: list[datetime]

    @classmethod
    def of(cls, person: _Person, request: SlotRequest) -> _Optional:
        busy = _blocked([person.availability], request)
        available = subtract(person.working(), busy) if person.availability.known else []
        return cls(person, [(_micros(start), _micros(end)) for start, end in available],
                   [start for start, _ in busy], [end for _, end in busy])

    def status(self, start: datetime, end: datetime) -> AttendanceStatus:
        if self.person.day_containing(start, end) is None:
            return AttendanceStatus.OUTSIDE_HOURS
        if not self.person.availability.known:
            return AttendanceStatus.UNREADABLE
        index = bisect.bisect_right(self.busy_ends, start)  # the first blocked stretch ending after `start`
        if index < len(self.busy_starts) and self.busy_starts[index] < end:
            return AttendanceStatus.BUSY
        return AttendanceStatus.FREE


def _count_missing(found: _Candidates, optional: list[_Optional], duration: timedelta) -> None:
    """How many optional people miss each start: each free stretch of each optional person adds one to the
    run of starts it holds (a difference array), so the cost grows with their calendars, not with the grid."""
    if not optional:
        return
    length = duration // _MICROSECOND
    coming = [0] * (len(found.starts) + 1)
    for person in optional:
        for low, high in person.available:
            first = bisect.bisect_left(found.starts, low)
            after = bisect.bisect_right(found.starts, high - length)
            if first < after:
                coming[first] += 1
                coming[after] -= 1
    running = 0
    for index in range(len(found.starts)):
        running += coming[index]
        found.missing[index] = len(optional) - running


def _ranking(found: _Candidates, request: SlotRequest, wanted: int) -> list[int]:
    """The first `wanted` candidates (indexes) in rank order, or all when fewer.

    Fewest optional people missing first; within that the quality order: comfortable before at an edge,
    earlier before later (the score's order), then spread over days (`_spread`), with times overlapping a
    better one after every separate time. Later tiers, and a tier's overlapping times, are only ranked when
    the page reaches them.
    """
    duration = request.duration // _MICROSECOND
    spacing = max(SPREAD, request.duration) // _MICROSECOND
    tiers: dict[int, list[int]] = {}
    for index, missing in enumerate(found.missing):
        tiers.setdefault(missing, []).append(index)
    ranking: list[int] = []
    for missing in sorted(tiers):
        indexes = tiers[missing]
        order = [index for index in indexes if found.comfortable[index]]
        order += [index for index in indexes if not found.comfortable[index]]
        apart, overlapping = _without_overlaps(order, found.starts, duration)
        ranking += _spread(apart, found, spacing)
        if len(ranking) >= wanted:
            break
        ranking += _spread(overlapping, found, spacing)
        if len(ranking) >= wanted:
            break
    return ranking[:wanted]


def _without_overlaps(order: list[int], starts: list[int], duration: int) -> tuple[list[int], list[int]]:
    """Splits the ranking into slots that overlap no better-ranked kept slot, and the rest.

    The rest come after every non-overlapping slot, so a page shows overlapping times only when nothing
    else is left to offer.
    """
    kept: list[int] = []
    apart: list[int] = []
    overlapping: list[int] = []
    for index in order:
        if _overlaps_kept(kept, starts[index], duration):
            overlapping.append(index)
        else:
            bisect.insort(kept, starts[index])
            apart.append(index)
    return apart, overlapping


def _overlaps_kept(kept: list[int], start: int, duration: int) -> bool:
    """Whether a meeting at `start` overlaps one at any of the `kept` starts (sorted): its neighbours there
    are the nearest, so only they need a look."""
    position = bisect.bisect_left(kept, start)
    return bool(position and start - kept[position - 1] < duration) or (
        position < len(kept) and kept[position] - start < duration
    )


def _spread(order: list[int], found: _Candidates, spacing: int) -> list[int]:
    """Reorders the ranking in rounds so a page offers real choices, not five starts 15 minutes apart.

    Going down the rank order, each slot joins the first round in which its organizer-local day has fewer
    than SLOTS_PER_DAY_PER_ROUND slots and none within `spacing` of it. The result is every round in turn,
    each in rank order: the best times of each day come first, their neighbours later, nothing is dropped.
    """
    rounds_by_day: dict[int, list[list[int]]] = {}
    keyed: list[tuple[int, int, int]] = []
    for rank, index in enumerate(order):
        start = found.starts[index]
        day_rounds = rounds_by_day.setdefault(found.day[index], [])
        round_index = 0
        while round_index < len(day_rounds) and (
            len(day_rounds[round_index]) >= SLOTS_PER_DAY_PER_ROUND
            or any(abs(start - other) < spacing for other in day_rounds[round_index])
        ):
            round_index += 1
        if round_index == len(day_rounds):
            day_rounds.append([])
        day_rounds[round_index].append(start)
        keyed.append((round_index, rank, index))
    keyed.sort()
    return [index for _, _, index in keyed]


@dataclass(frozen=True)
class _Ranked:
    start: datetime
    score: float
    edges: tuple[tuple[str, int], ...]  # ("early" | "late", index of the required person whose day edge it is)
    attendance: tuple[Attendance, ...]

    @property
    def missing_optional(self) -> bool:
        return any(not person.required and not person.free for person in self.attendance)


def _ranked(start: datetime, required: list[_Person], everyone: list[_Person | _Optional],
            request: SlotRequest) -> _Ranked:
    """A page's slot in full: its score in (0, 1] (away from all day edges beats at an edge; earlier beats
    later), whose day edge it touches, and who can come."""
    end = start + request.duration
    edges: list[tuple[str, int]] = []
    for index, person in enumerate(required):
        day = person.day_containing(start, end)
        if day is None:  # cannot happen for a start taken from the shared working time
            raise AssertionError("slot outside a working day")
        if start - day.start < EDGE_MARGIN:
            edges.append(("early", index))
        if day.end - end < EDGE_MARGIN:
            edges.append(("late", index))
    earliest = request.earliest_start
    earliness = 1 - (start - earliest) / (request.window_end - earliest)  # in (0, 1]: the slot ends in the window
    score = round((int(not edges) + earliness) / 2, 6)
    attendance = []
    for attendee in everyone:
        if isinstance(attendee, _Optional):
            attendance.append(Attendance(attendee.person.availability.email, attendee.status(start, end), False))
        else:
            known = attendee.availability.known
            status = AttendanceStatus.FREE if known else AttendanceStatus.UNREADABLE
            attendance.append(Attendance(attendee.availability.email, status, True))
    return _Ranked(start, score, tuple(edges), tuple(attendance))


def _suggestion(item: _Ranked, persons: list[_Person], request: SlotRequest, reasons: list[str]) -> Suggestion:
    end = item.start + request.duration
    local_times = []
    for person in persons:
        tz = person.availability.zone()
        start_local, end_local = item.start.astimezone(tz), end.astimezone(tz)
        local_times.append(LocalTime(person.availability.email, start_local, end_local, tz_abbrev(start_local)))
    unverified = tuple(person.email for person in item.attendance
                       if person.required and person.status is AttendanceStatus.UNREADABLE)
    return Suggestion(
        start=item.start,
        end=end,
        score=item.score,
        reasons=tuple(reasons),
        verified=not unverified,
        local_times=tuple(local_times),
        unverified_people=unverified,
        attendance=item.attendance,
    )


def _reasons_for(item: _Ranked, earliest_start: datetime, only_one: bool, persons: list[_Person],
                 shared: list[Interval], free: list[Interval], request: SlotRequest,
                 names: Mapping[str, str]) -> list[str]:
    """At most two short reasons in everyday words: "early in Ben's day", "both free all afternoon".

    `persons` are the required people: optional ones never make a time "early" or "late", and a time some
    optional person misses is not one "everyone is free" at.
    """
    people = [person.availability for person in persons]
    together = _together(len(people))
    alone = len(people) == 1 or item.missing_optional
    reasons = [f"{kind} in {_possessive(index, people, names)} day" for kind, index in item.edges]
    if only_one:
        reasons.append("the only time that fits" if alone else f"the only time {together} free")
    elif item.start == earliest_start:
        reasons.append("the earliest time that fits" if alone else f"the earliest time {together} free")
    end = item.start + request.duration
    stretch = _containing(free, item.start, end)
    working = _containing(shared, item.start, end)
    part = _part_of_day(item.start, persons[0])
    if stretch is not None and working is not None and part is not None and (
        stretch[0] <= max(part[1], working[0]) and min(part[2], working[1]) <= stretch[1]
    ):
        who = "you are" if len(people) == 1 else ("both" if len(people) == 2 else "everyone")
        if not item.missing_optional:
            reasons.append(f"{who} free all {part[0]}")
    elif stretch == (item.start, end) and len(reasons) < 2:
        reasons.append("fits between other meetings")
    return reasons[:2]


def _containing(intervals: list[Interval], start: datetime, end: datetime) -> Interval | None:
    index = bisect.bisect_right(intervals, (start, _FAR_FUTURE)) - 1
    if index >= 0 and intervals[index][0] <= start and end <= intervals[index][1]:
        return intervals[index]
    return None


_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


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


def _optional_emails(people: Sequence[Availability], optional: frozenset[str] | set[str]) -> set[str]:
    """The optional people's emails, case-folded; the organizer always attends, so is never optional."""
    folded = {email.casefold() for email in optional}
    unknown = folded - {person.email.casefold() for person in people}
    if unknown:
        raise ValueError(f"optional people must be among the people searched: {', '.join(sorted(unknown))}")
    return folded - {people[0].email.casefold()} if people else folded


def find_slots(request: SlotRequest, people: list[Availability], offset: int = 0,
               names: Mapping[str, str] | None = None, optional: frozenset[str] | set[str] = frozenset()
               ) -> SlotSearchResult:
    """The best meeting times for everyone in `people` (organizer first), one page in time order.

    `optional` holds the emails of optional attendees (any case); the organizer and everyone else are
    required. No time is offered at which a required person is outside their working hours or has a
    blocking item; a required person whose calendar could not be read is only checked against their
    working hours (the time is then `unverified`). Optional people rank the times: every optional person
    free first, then the fewest missing; within that, the quality ranking. Each suggestion's `attendance`
    says who is free, busy, unreadable or outside their hours.

    The ranking decides which times make a page; the page lists them in time order. `offset` pages
    through the same ranking ("More times"): the result's `next_offset` is the offset for the next page,
    or None when there is none. `names` maps attendees' emails to the names the reasons use.
    """
    if offset < 0:
        raise ValueError("offset cannot be negative")
    search = prepare_search(request, people, optional)
    if isinstance(search, SlotSearchResult):
        return search
    found = search.found
    _count_missing(found, [attendee for attendee in search.everyone if isinstance(attendee, _Optional)],
                   request.duration)
    ranking = _ranking(found, request, offset + request.max_results)
    page = sorted(_instant(found.starts[index]) for index in ranking[offset:])
    return search.page(page, offset, names)


@dataclass
class SlotSearch:
    """Every start that fits one request, found once, for callers that order the times their own way
    (scheduling/requested.py: nearest to a time asked for). Only the times asked for become suggestions."""

    request: SlotRequest
    persons: list[_Person]
    everyone: list[_Person | _Optional]
    shared: list[Interval]
    free: list[Interval]
    found: _Candidates

    @property
    def required(self) -> list[_Person]:
        return [person for person in self.persons if person.required]

    @property
    def count(self) -> int:
        """How many starts fit."""
        return len(self.found.starts)

    def offers(self, start: datetime) -> bool:
        """True when a meeting can start exactly at `start`."""
        moment = _micros(as_utc("start", start))
        index = bisect.bisect_left(self.found.starts, moment)
        return index < len(self.found.starts) and self.found.starts[index] == moment

    def nearest(self, wanted: datetime) -> Iterator[datetime]:
        """Every start, nearest to `wanted` first (of two as near, the earlier), except that, as in the ranking,
        a start whose meeting overlaps one already given waits until every separate one is given:
        "11:30, 10:00, 12:00" rather than "11:30, 11:45, 12:00".

        Produced only as far as read: a first page walks outward from `wanted` over the sorted starts and
        stops a few meetings' lengths away; the overlapping starts come only once the separate ones run out.
        """
        duration = self.request.duration // _MICROSECOND
        kept: list[int] = []
        overlapping: list[int] = []
        for start in self._by_distance(_micros(as_utc("wanted", wanted))):
            if _overlaps_kept(kept, start, duration):
                overlapping.append(start)
            else:
                bisect.insort(kept, start)
                yield _instant(start)
        for start in overlapping:
            yield _instant(start)

    def _by_distance(self, target: int) -> Iterator[int]:
        """Every start, nearest to `target` first, the earlier of two as near first."""
        starts = self.found.starts
        after = bisect.bisect_left(starts, target)  # starts[after:] are at or after `target`
        before = after - 1  # starts[:after] are before it
        while before >= 0 or after < len(starts):
            if after < len(starts) and (before < 0 or starts[after] - target < target - starts[before]):
                yield starts[after]
                after += 1
            else:
                yield starts[before]
                before -= 1

    def page(self, starts: list[datetime], offset: int, names: Mapping[str, str] | None = None) -> SlotSearchResult:
        """The result for one page: `starts` (already in the caller's order) are the ones from `offset` on;
        `next_offset` says where the next page begins, None after the last."""
        end = offset + len(starts)
        return SlotSearchResult(self.suggestions(starts, names), None, end if end < self.count else None,
                                total=self.count)

    def suggestions(self, starts: Iterable[datetime], names: Mapping[str, str] | None = None) -> list[Suggestion]:
        """Full suggestions (attendance, local times, reasons) for `starts`, each one of the starts found,
        in the order given; `names` maps emails to the names the reasons use."""
        required = self.required
        earliest_start = _instant(self.found.starts[0])
        only_one = self.count == 1
        suggestions = []
        for start in starts:
            item = _ranked(start, required, self.everyone, self.request)
            reasons = _reasons_for(item, earliest_start, only_one, required, self.shared, self.free, self.request,
                                   names or {})
            suggestions.append(_suggestion(item, self.persons, self.request, reasons))
        return suggestions


def prepare_search(request: SlotRequest, people: list[Availability],
                   optional: frozenset[str] | set[str] = frozenset()) -> SlotSearch | SlotSearchResult:
    """Every start at which all required people in `people` (organizer first) are free, or, when there is
    none, the result saying why (as find_slots gives it). `optional` as in find_slots."""
    if not people:
        raise ValueError("find_slots needs at least the organizer")
    optional_emails = _optional_emails(people, optional)
    earliest = request.earliest_start
    if request.window_end <= earliest:
        return SlotSearchResult([], NoSlotReason.WINDOW_IN_PAST, None)
    if request.window_end - earliest < request.duration:
        return SlotSearchResult([], NoSlotReason.WINDOW_TOO_SHORT, None)

    hours = [person.effective_working_hours() for person in people]
    persons = [
        _Person(person, _working_time(person_hours, request.window_start, request.window_end),
                required=person.email.casefold() not in optional_emails)
        for person, person_hours in zip(people, hours, strict=True)
    ]
    required = [person for person in persons if person.required]
    shared: list[Interval] = [(earliest, request.window_end)]
    by_hours = {person_hours: person for person_hours, person in zip(hours, persons, strict=True) if person.required}
    for person in by_hours.values():  # people with the same working hours, once
        shared = intersect(shared, person.working())
    free = subtract(shared, _blocked([person.availability for person in required], request))
    found = _candidates(free, required, request)
    if not found.starts:
        return _explain_no_slot(request, required, shared)
    everyone: list[_Person | _Optional] = [person if person.required else _Optional.of(person, request)
                                           for person in persons]
    return SlotSearch(request, persons, everyone, shared, free, found)


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
    optional: frozenset[str] | set[str] = frozenset(),
) -> bool:
    """The re-check just before booking, on freshly read availability (organizer first).

    False when any required person's blocking item (widened by the buffers) overlaps [start, end), and also
    when a required person's calendar could not be read: unknown never counts as free. Optional people
    (`optional`: their emails, any case; never the organizer) do not hold up a booking: a busy or unreadable
    optional person is simply missing, as the suggestion already said.
    """
    start = as_utc("start", start)
    end = as_utc("end", end)
    blocking = frozenset(blocking) - {FreeBusyStatus.FREE}
    skipped = _optional_emails(people, optional)
    for person in people:
        if person.email.casefold() in skipped:
            continue
        if not person.known:
            return False
        for block in person.busy:
            if block.status in blocking and block.start - buffer_after < end and block.end + buffer_before > start:
                return False
    return True
