"""What the benchmark sends: Teams-shaped turns to a bot over loopback, and the answers a user would see.

Every workload gives each worker its own conversation (so concurrent workers never queue on one chat's
state) and checks each answer after the clock stops: an error card or a "that time was taken" reply
counts as a failed turn, never as a fast one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from bench.load import TurnFailed
from dialogs.booking_phrases import recognize
from emulator.org import Tenant
from graph.timezones import UnknownTimeZone, windows_to_iana
from scheduling.model import Availability, BusyBlock, FreeBusyStatus, WorkingHours
from scheduling.phrasing import MAX_WHEN_CHARACTERS, read_request
from scheduling.requested import nearest_first
from scheduling.slots import SlotRequest, find_slots, forget_working_time
from tests.harness import ConnectorStub, SentActivity, TeamsUser

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
# The coming weeks are cut into fortnights; a "slice" is one pair of people in one fortnight. Workers
# search and book in different slices, so they never book the same half hour at once (which the bot
# rightly answers with fresh times, not a booking), and bookings spread out instead of filling one slice.
WINDOW_DAYS = 14
WINDOW_ROUNDS = 3  # 3 x 14 days stays inside the bot's 8-week horizon
MEETING_LENGTH = timedelta(minutes=30)  # what the form asks for


def people_of(tenant: Tenant, app_id: str) -> list[TeamsUser]:
    """The tenant's people whose mailboxes the app may read (the access policy leaves some out).

    Ordered by their zone's current UTC offset, so neighbours (the pairs that meet) share enough working
    hours for hundreds of bookings in a few weeks.
    """
    people = []
    for person in tenant.people:
        if not tenant.mailbox_allowed_for_app(app_id, person.id):
            continue
        try:
            zone = windows_to_iana(person.time_zone)
        except UnknownTimeZone:
            zone = "UTC"
        people.append(TeamsUser(tenant.id, person.id, person.display_name, person.mail, time_zone=zone))
    now = datetime.now(UTC)
    return sorted(people, key=lambda user: now.astimezone(ZoneInfo(user.time_zone)).utcoffset() or timedelta(0))


def in_own_conversation(user: TeamsUser, worker: int) -> TeamsUser:
    return replace(user, conversation_id=f"a:bench-{worker}-{user.aad_object_id}")


def actions_with_verb(node: Any, verb: str) -> Iterator[dict[str, Any]]:
    """Every Action.Execute of a card (nested action sets included) with the given verb."""
    if isinstance(node, dict):
        if node.get("verb") == verb and str(node.get("type", "")).startswith("Action."):
            yield node
        for value in node.values():
            yield from actions_with_verb(value, verb)
    elif isinstance(node, list):
        for item in node:
            yield from actions_with_verb(item, verb)


def first_text(card: dict[str, Any]) -> str:
    """The card's first TextBlock, to say what came back instead of what was expected."""
    for block in card.get("body") or []:
        if isinstance(block, dict) and block.get("type") == "TextBlock":
            return str(block.get("text", ""))[:120]
    return "(a card without text)"


def last_message_to(connector: ConnectorStub, conversation_id: str) -> SentActivity | None:
    for sent in reversed(connector.sent):
        if sent.conversation_id == conversation_id and sent.body.get("type") == "message":
            return sent
    return None


@dataclass
class BotEndpoint:
    """A bot's /api/messages on loopback and the Bot Connector stub it answers through."""

    url: str
    connector: ConnectorStub
    session: aiohttp.ClientSession

    async def post(self, body: dict[str, Any]) -> tuple[int, Any]:
        async with self.session.post(f"{self.url}/api/messages", json=body) as response:
            answer = await response.json() if response.content_type == "application/json" else None
            return response.status, answer

    async def say(self, user: TeamsUser, text: str) -> int:
        status, _ = await self.post(user.activity(self.connector.url, "message", text=text))
        return status

    async def execute(self, user: TeamsUser, verb: str, data: dict[str, Any]) -> tuple[int, Any]:
        """An Action.Execute click: the invoke Teams sends; the answer is the replacement card."""
        return await self.post(user.activity(
            self.connector.url, "invoke", name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
        ))


def card_in(status: int, answer: Any) -> dict[str, Any]:
    """The card of an invoke answer, or TurnFailed saying what came instead."""
    if status != 200:
        raise TurnFailed(f"invoke answered HTTP {status}")
    if not isinstance(answer, dict) or answer.get("type") != ADAPTIVE_CARD:
        text = answer.get("value") if isinstance(answer, dict) else answer
        raise TurnFailed(f"expected a card, got: {str(text)[:120]}")
    card: dict[str, Any] = answer["value"]
    return card


@dataclass
class MessageTurns:
    """A text message per turn; the bot's reply (already at the connector when the POST returns) is checked.

    `expect_card` is for Rendezvous's help (a card); `expect_reply` for a text reply containing it;
    otherwise the reply must be `echo: <text>`.
    """

    bot: BotEndpoint
    people: list[TeamsUser]
    text: str
    expect_card: bool = False
    expect_reply: str | None = None

    async def prepare(self, worker: int) -> TeamsUser:
        return in_own_conversation(self.people[worker % len(self.people)], worker)

    async def turn(self, worker: int, user: TeamsUser) -> int:
        return await self.bot.say(user, self.text)

    async def check(self, worker: int, user: TeamsUser, status: int) -> None:
        if status != 201:
            raise TurnFailed(f"message answered HTTP {status}")
        reply = last_message_to(self.bot.connector, user.conversation_id)
        if reply is None:
            raise TurnFailed("the bot sent no reply")
        if self.expect_card and not reply.cards:
            raise TurnFailed(f"expected a card, got: {reply.text[:120]}")
        if self.expect_reply is not None:
            if self.expect_reply not in reply.text:
                raise TurnFailed(f"unexpected reply: {reply.text[:120]}")
        elif not self.expect_card and reply.text != f"echo: {self.text}":
            raise TurnFailed(f"unexpected echo: {reply.text[:120]}")


@dataclass
class Meeting:
    """Who meets whom, and the dates a worker searches (its own slice of the next weeks)."""

    organizer: TeamsUser
    colleague: TeamsUser
    first_day: date
    last_day: date

    def form(self) -> dict[str, Any]:
        return {"colleague": self.colleague.aad_object_id, "duration": str(MEETING_LENGTH.seconds // 60),
                "window": "dates", "fromDate": self.first_day.isoformat(), "toDate": self.last_day.isoformat()}


def slices(people: list[TeamsUser]) -> int:
    return max(1, len(people) // 2) * WINDOW_ROUNDS


def meeting_for(people: list[TeamsUser], worker: int, slice_index: int) -> Meeting:
    """The worker's organizer (in the worker's own conversation) meets the pair's other person in that slice."""
    pairs = max(1, len(people) // 2)
    pair, round_ = slice_index % pairs, (slice_index // pairs) % WINDOW_ROUNDS
    organizer = in_own_conversation(people[2 * pair % len(people)], worker)
    colleague = people[(2 * pair + 1) % len(people)]
    today = datetime.now(ZoneInfo(organizer.time_zone)).date()
    first = today + timedelta(days=1 + round_ * WINDOW_DAYS)
    return Meeting(organizer, colleague, first, first + timedelta(days=WINDOW_DAYS - 1))


@dataclass
class FindTimesTurns:
    """Action.Execute `findTimes`: getSchedule for both people, slot finding, the suggestions card."""

    bot: BotEndpoint
    people: list[TeamsUser]

    async def prepare(self, worker: int) -> Meeting:
        return meeting_for(self.people, worker, worker)

    async def turn(self, worker: int, meeting: Meeting) -> tuple[int, Any]:
        return await self.bot.execute(meeting.organizer, "findTimes", meeting.form())

    async def check(self, worker: int, meeting: Meeting, answer: tuple[int, Any]) -> None:
        card = card_in(*answer)
        if not any(actions_with_verb(card, "book")):
            raise TurnFailed(f"no time to book, the card said: {first_text(card)}")


@dataclass
class BookTurns:
    """Action.Execute `book` on a time the bot offered: reserve, re-check, create the event, tell the colleague.

    Preparation (untimed) asks for suggestions before every booking, each time in the next slice, moving on
    when a slice has no free time left. One time is booked per suggestions card, as in Teams, where the
    confirmation replaces the card (a second time from the same card is refused: issue 9).
    """

    bot: BotEndpoint
    people: list[TeamsUser]
    offered: dict[int, list[tuple[Meeting, dict[str, Any]]]] = field(default_factory=dict)
    held: dict[int, int] = field(default_factory=dict)  # worker -> the slice it books in
    next_slice: int = 0

    def _claim_slice(self, worker: int) -> int:
        """The next slice no other worker holds (with more workers than slices, some must share)."""
        total = slices(self.people)
        taken = {held for other, held in self.held.items() if other != worker}
        candidates = [(self.next_slice + step) % total for step in range(total)]
        chosen = next((candidate for candidate in candidates if candidate not in taken), candidates[0])
        self.next_slice = chosen + 1
        self.held[worker] = chosen
        return chosen

    async def prepare(self, worker: int) -> tuple[Meeting, dict[str, Any]]:
        queue = self.offered.setdefault(worker, [])
        for _ in range(slices(self.people)):
            if queue:
                break
            meeting = meeting_for(self.people, worker, self._claim_slice(worker))
            card = card_in(*await self.bot.execute(meeting.organizer, "findTimes", meeting.form()))
            queue.extend((meeting, action["data"]) for action in actions_with_verb(card, "book"))
            del queue[1:]
        if not queue:
            raise TurnFailed("no slice had a free time left to book")
        return queue.pop(0)

    async def turn(self, worker: int, prepared: tuple[Meeting, dict[str, Any]]) -> tuple[int, Any]:
        meeting, button = prepared
        return await self.bot.execute(meeting.organizer, "book", button)

    async def check(self, worker: int, prepared: tuple[Meeting, dict[str, Any]], answer: tuple[int, Any]) -> None:
        card = card_in(*answer)
        if not any(actions_with_verb(card, "cancelBooking")):
            raise TurnFailed(f"not a booking confirmation: {first_text(card)}")


@dataclass
class SlotFinderCalls:
    """scheduling.find_slots alone, on two people's real (emulated) fortnight, as the booking dialog calls it."""

    people: list[Availability]
    window_start: datetime
    window_end: datetime
    page: int = 5  # one page, as the dialog asks (next_offset says whether "More times" is due)

    async def prepare(self, worker: int) -> SlotRequest:
        return SlotRequest(duration=MEETING_LENGTH, window_start=self.window_start,
                           window_end=self.window_end, now=datetime.now(UTC), max_results=self.page)

    async def turn(self, worker: int, request: SlotRequest) -> Any:
        return find_slots(request, self.people)

    async def check(self, worker: int, request: SlotRequest, answer: Any) -> None:
        if not answer.suggestions:
            raise TurnFailed("the slot finder found no time")


# The booking request of issue 9 that took 7 s in a regular expression, an ordinary one, and the costliest
# text the date-time recognizer is ever handed (MAX_WHEN_CHARACTERS of digits and dashes; docs/PHRASES.md).
NORMAL_REQUEST = "book 30 min with Alice next Tuesday afternoon"
ISSUE_REDOS_REQUEST = "book a" + "\t" * 28_000 + "x"
WORST_WHEN_REQUEST = "book 30 min with Alice " + "1-" * (MAX_WHEN_CHARACTERS // 2)


@dataclass
class ShortcutParses:
    """The typed-request reader alone (the real recognizer), its length cap lifted, so the cost of `text` shows."""

    text: str
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    async def prepare(self, worker: int) -> str:
        return self.text

    async def turn(self, worker: int, text: str) -> Any:
        return read_request(text, self.now, UTC, recognize, max_length=None)

    async def check(self, worker: int, text: str, answer: Any) -> None:
        if answer is None:
            raise TurnFailed("the reader did not recognise a booking request")



# Issue 11: a meeting of the organizer and 19 colleagues over two months. No Graph here: Contoso has nine
# readable mailboxes and five weeks of generated calendars, so the twenty calendars are made up, the same
# ones every run (a fixed seed), in the shape of a real team: most of the required people in Western
# Europe and on the US East Coast, the optional ones there and further away, and one unreadable calendar.
TEAM_SEARCH_DAYS = 61
TEAM_SEARCH_STEP = timedelta(minutes=5)
TEAM_ZONES = (
    # (zone, required?) for each of the 20 people; the organizer first.
    ("Europe/London", True), ("Europe/London", True), ("Europe/London", True), ("Europe/London", True),
    ("Europe/Berlin", True), ("Europe/Berlin", True), ("Europe/Berlin", True), ("Europe/Berlin", True),
    ("America/New_York", True), ("America/New_York", True), ("America/New_York", True), ("America/New_York", True),
    ("Europe/London", False), ("Europe/Berlin", False), ("America/New_York", False), ("Europe/Dublin", False),
    ("Asia/Kolkata", False), ("Asia/Kolkata", False), ("America/Los_Angeles", False), ("America/Chicago", False),
)
UNREADABLE_MEMBER = 15  # an optional colleague whose calendar could not be read
_TEAM_STATUSES = ([FreeBusyStatus.BUSY] * 6 + [FreeBusyStatus.TENTATIVE] * 2
                  + [FreeBusyStatus.FREE, FreeBusyStatus.UNKNOWN, FreeBusyStatus.WORKING_ELSEWHERE])


def team_calendars(first_day: date, days: int = TEAM_SEARCH_DAYS, seed: int = 11) -> tuple[list[Availability],
                                                                                           frozenset[str]]:
    """Twenty people's free/busy from `first_day` for `days` days, and the optional people's emails.

    Each working day has zero to two meetings of 30 or 60 minutes at quarter hours inside the person's
    hours; one day in fifty is an all-day absence.
    """
    chooser = random.Random(seed)
    people: list[Availability] = []
    optional: set[str] = set()
    for index, (zone_key, required) in enumerate(TEAM_ZONES):
        zone = ZoneInfo(zone_key)
        hours = WorkingHours(frozenset({1, 2, 3, 4, 5}), time(8 + index % 2), time(17 + index % 2), zone)
        blocks: list[BusyBlock] = []
        for day_number in range(days):
            day = first_day + timedelta(days=day_number)
            if day.isoweekday() > 5:
                continue
            if chooser.random() < 0.02:
                blocks.append(BusyBlock(datetime.combine(day, time(0), zone).astimezone(UTC),
                                        datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC),
                                        FreeBusyStatus.OOF))
                continue
            for _ in range(chooser.randint(0, 2)):
                quarter = chooser.randrange(4 * 8)
                start = datetime.combine(day, hours.start, zone) + timedelta(minutes=15 * quarter)
                blocks.append(BusyBlock(start.astimezone(UTC),
                                        (start + timedelta(minutes=chooser.choice((30, 60)))).astimezone(UTC),
                                        chooser.choice(_TEAM_STATUSES)))
        email = f"member{index:02d}@contoso.example"
        if not required:
            optional.add(email)
        known = index != UNREADABLE_MEMBER
        people.append(Availability(email, known, tuple(sorted(blocks, key=lambda block: block.start)) if known else (),
                                   hours, None if known else "the mailbox could not be read", zone))
    return people, frozenset(optional)


@dataclass
class TeamSearchCalls:
    """scheduling.find_slots alone for issue 11's team: 20 people (8 optional) over 61 days at a 5-minute step.

    With `first_search` the remembered working days and zone offsets are dropped before each call (untimed),
    so each call is a team's first search of the window; without it, calls are the "More times" that follow.
    """

    first_day: date
    first_search: bool = True
    page: int = 5

    def __post_init__(self) -> None:
        self.people, self.optional = team_calendars(self.first_day)
        self.window_start = datetime.combine(self.first_day, time(0), UTC)

    async def prepare(self, worker: int) -> SlotRequest:
        if self.first_search:
            forget_working_time()
        return SlotRequest(duration=MEETING_LENGTH, window_start=self.window_start,
                           window_end=self.window_start + timedelta(days=TEAM_SEARCH_DAYS), now=datetime.now(UTC),
                           step=TEAM_SEARCH_STEP, max_results=self.page)

    async def turn(self, worker: int, request: SlotRequest) -> Any:
        return find_slots(request, self.people, optional=self.optional)

    async def check(self, worker: int, request: SlotRequest, answer: Any) -> None:
        if not answer.suggestions:
            raise TurnFailed("the slot finder found no time for the team")
        if any(len(suggestion.attendance) != len(self.people) for suggestion in answer.suggestions):
            raise TurnFailed("a suggestion did not say who can come")


# The time the requested-time row asks for: 3pm on the organizer's clock, about a month into the window.
REQUESTED_DAY = 30
REQUESTED_TIME = time(15)


@dataclass
class RequestedTimeCalls(TeamSearchCalls):
    """scheduling.requested.nearest_first alone for the same team and window: "... tomorrow at 3pm" asked
    for by name, that time first when everyone required is free then, else why not and the nearest times."""

    def __post_init__(self) -> None:
        super().__post_init__()
        organizer = self.people[0]
        day = self.first_day + timedelta(days=REQUESTED_DAY)
        while day.isoweekday() > 5:  # a working day, so the answer is about calendars rather than a weekend
            day += timedelta(days=1)
        self.wanted = datetime.combine(day, REQUESTED_TIME, organizer.zone()).astimezone(UTC)
        self.names = ["you", *(person.email.split("@")[0] for person in self.people[1:])]
        self.reason_names = dict(zip((person.email for person in self.people), self.names, strict=True))

    async def turn(self, worker: int, request: SlotRequest) -> Any:
        return nearest_first(request, self.people, self.wanted, self.names, reason_names=self.reason_names,
                             optional=self.optional).result

