"""Many people booking at once for a fixed time: errors, duplicate meetings, turn latency and the bot's memory.

    .venv/bin/python -m bench.conversations [--conversations 200] [--seconds 60] [--database postgres]

The bot runs as `python app.py` in its own process (as in production, so its memory is its own), against
the Entra ID + Graph emulator and a recording Bot Connector stub in this process, all on loopback. The
emulated organization is generated: one organizer and one colleague per conversation, empty calendars,
working hours 08:00-17:00 UTC. After everyone has said hello once, each conversation loops until the
time is up: ask for times, book the first one offered (every `--retry-every`th click is sent twice at
once, as Teams does when an answer is slow), and now and then ask for "my meetings". No cycle starts
after `--seconds`; those under way finish. Then Outlook (the emulator) is compared with the bookings.

The bot answers a turn that outlasts its deadline (`--turn-deadline`, TURN_DEADLINE_SECONDS) with "still
working" and finishes it in the background: it then replaces the clicked card through the Bot Connector
(or sends a new message). The client here does what a person in Teams sees: it takes "still working" as
an answer, waits (at most LATE_ANSWER_TIMEOUT_S) for the late answer at the Bot Connector stub, and goes on
with that card.

Reports: turns, errors (any answer a person would not call success), duplicates (more than one Outlook
event for one booking, an event without a confirmed booking or a confirmed booking without its event,
two meetings of one organizer at the same time), the time to the first answer (what Teams waits for;
clicks answered after Teams' 15 s are counted) and to the final answer, the turns that went late, and the
bot's resident memory before and after the load. Exits 1 on any error or duplicate. Timings are reported,
never judged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet

from bench.emulator_process import EmulatorProcess
from bench.load import TurnFailed, percentile
from bench.report import machine_facts, publish, quiet_logging
from bench.run import POSTGRES_ADMIN_URL, Options, scratch_database
from bench.scenarios import Meeting, actions_with_verb, card_in, first_text
from config import PROJECT_ROOT, TEAMS_INVOKE_LIMIT_SECONDS, Settings
from dialogs.replies import ADAPTIVE_CARD
from emulator.faults import FaultConfig
from emulator.org import Org
from emulator.server import Emulator
from emulator.testing import running_emulator
from storage.database import Database
from storage.repositories import BookingRepository, TenantRepository
from tests.harness import ConnectorStub, EmulatorEndpoints, SentActivity, TeamsUser
from tests.processes import free_port, wait_until_healthy

log = logging.getLogger("bench.conversations")

DEFAULT_OUTPUT = PROJECT_ROOT / "data" / "bench" / "conversations.json"
LOAD_TENANT = "0ad5c0de-0000-4000-8000-000000000001"
LOAD_DOMAIN = "load.example"
MY_MEETINGS_EVERY = 2  # cycles
WINDOW_DAYS = 7
HORIZON_WEEKS = 7  # inside the bot's 8-week horizon
TURN_TIMEOUT_S = 120.0  # a turn that takes longer is an error, and the run still ends
# After "still working", the real answer must reach the Bot Connector within this (from the click); else an error.
LATE_ANSWER_TIMEOUT_S = 120.0
STILL_BOOKING = "still booking this meeting"
# The turn error handler's two answers (app.py): an unexpected error, and an outage (a timeout, a lost database).
FAILED_TURN = ("something went wrong", "couldn't finish that")
STILL_WORKING = "still working on it"  # the heading of the bot's "still working" card, and its note in a chat
MESSAGE_ANSWER = "application/vnd.microsoft.activity.message"  # an invoke answered with a text, not a card


@dataclass(frozen=True)
class LoadOptions:
    conversations: int = 200
    seconds: float = 60.0
    database: str = "postgres"
    retry_every: int = 10
    output: Path = DEFAULT_OUTPUT
    postgres_url: str = POSTGRES_ADMIN_URL
    turn_deadline: float = Settings.turn_deadline_seconds
    microsoft_latency: float = 0.0


def parse_options(argv: list[str] | None = None) -> LoadOptions:
    defaults = LoadOptions()
    parser = argparse.ArgumentParser(prog="python -m bench.conversations", description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=defaults.conversations,
                        help="conversations at once, one organizer each (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=defaults.seconds,
                        help="no booking cycle starts after this many seconds (default %(default)s)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default=defaults.database)
    parser.add_argument("--retry-every", type=int, default=defaults.retry_every,
                        help="every Nth Book click is sent twice at once; 0 never (default %(default)s)")
    parser.add_argument("--output", type=Path, default=defaults.output, help="JSON results (default %(default)s)")
    parser.add_argument("--postgres-url", default=defaults.postgres_url,
                        help="server where a throw-away database is created (default: POSTGRES_TEST_URL or local)")
    parser.add_argument("--turn-deadline", type=float, default=defaults.turn_deadline,
                        help="the bot's TURN_DEADLINE_SECONDS (default %(default)s)")
    parser.add_argument("--microsoft-latency", type=float, default=defaults.microsoft_latency,
                        help="seconds the emulator waits before every Entra ID and Graph answer (default %(default)s)")
    args = parser.parse_args(argv)
    if args.conversations < 1 or args.seconds <= 0 or args.retry_every < 0:
        parser.error("--conversations and --seconds must be positive, --retry-every at least 0")
    if not 0 < args.turn_deadline < TEAMS_INVOKE_LIMIT_SECONDS or args.microsoft_latency < 0:
        parser.error(f"--turn-deadline must be above 0 and below {TEAMS_INVOKE_LIMIT_SECONDS:.0f}, "
                     "--microsoft-latency at least 0")
    return LoadOptions(args.conversations, args.seconds, args.database, args.retry_every, args.output,
                       args.postgres_url, args.turn_deadline, args.microsoft_latency)


# ----------------------------------------------------------------------------------------- the organization
def load_org(conversations: int) -> Org:
    """The demo org plus one generated tenant: an organizer and a colleague for each conversation."""
    return Org.from_dict(load_org_file(conversations))


def load_org_file(conversations: int) -> dict[str, Any]:
    """load_org's directory as the JSON `python -m emulator --org` reads."""
    raw = json.loads((PROJECT_ROOT / "emulator" / "demo_org.json").read_text(encoding="utf-8"))
    app_id = raw["apps"][0]["client_id"]
    hours = {"days": ["monday", "tuesday", "wednesday", "thursday", "friday"], "start": "08:00", "end": "17:00"}
    people = [
        {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"rendezvous-load:{role}:{index}")),
         "display_name": f"{role.title()} {index:03d}", "mail": f"{role}{index:03d}@{LOAD_DOMAIN}",
         "time_zone": "UTC", "working_hours": hours, "is_admin": index == 0 and role == "organizer"}
        for index in range(conversations) for role in ("organizer", "colleague")
    ]
    raw["tenants"].append({"id": LOAD_TENANT, "display_name": "Load test", "domains": [LOAD_DOMAIN],
                           "allow_user_consent": False, "admin_consented_apps": [app_id], "people": people})
    return raw


def pairs_of(emu: Emulator | EmulatorProcess) -> list[tuple[TeamsUser, TeamsUser]]:
    tenant = emu.org.tenant(LOAD_TENANT)
    assert tenant is not None
    users = [TeamsUser(LOAD_TENANT, p.id, p.display_name, p.mail, time_zone="UTC") for p in tenant.people]
    return list(zip(users[0::2], users[1::2], strict=True))


# ----------------------------------------------------------------------------------------- the bot process
def resident_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in KiB, from /proc (Linux)."""
    figures: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures


@dataclass
class BotProcess:
    url: str
    process: asyncio.subprocess.Process
    log_file: Path

    def memory(self) -> dict[str, int]:
        return resident_kib(self.process.pid)


@asynccontextmanager
async def bot_process(database_url: str, emu: EmulatorEndpoints, folder: Path, *, entry: str = "app.py",
                      **settings: str) -> AsyncIterator[BotProcess]:
    """`python app.py` (or `entry`, e.g. serve.py) on a free loopback port, configured for the emulator and the
    scratch database; `settings` are more environment variables (WEB_CONCURRENCY=...)."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "PORT": str(port),
        "DATABASE_URL": database_url, "RENDEZVOUS_DATA_DIR": str(folder / "data"),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(), "LOG_LEVEL": "INFO",
        "GRAPH_CLIENT_ID": emu.client_id, "GRAPH_CLIENT_SECRET": emu.client_secret,
        "GRAPH_BASE_URL": emu.graph_base_url, "AUTHORITY_HOST": emu.authority_host,
        "AUTHORITY_CA_BUNDLE": str(emu.ca_file), "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", **settings,
    }
    log_file = folder / f"bot-{port}.log"
    with log_file.open("w", encoding="utf-8") as sink:
        process = await asyncio.create_subprocess_exec(sys.executable, entry, cwd=PROJECT_ROOT, env=env,
                                                       stdout=sink, stderr=sink)
    bot = BotProcess(f"http://127.0.0.1:{port}", process, log_file)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_healthy(session, bot.url, process, log_file)
        yield bot
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)  # aiohttp's orderly shutdown
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


# ----------------------------------------------------------------------------------------- the Bot Connector
@dataclass
class WatchedConnector(ConnectorStub):
    """The harness' recording Bot Connector, which also keeps each conversation's activities apart and wakes
    whoever waits for one to arrive (a late answer: a card updated in place or a new message)."""

    by_conversation: dict[str, list[SentActivity]] = field(default_factory=dict)
    _arrivals: dict[str, asyncio.Condition] = field(default_factory=dict)

    async def _post(self, request: web.Request) -> web.Response:
        response = await super()._post(request)
        await self._file(self.sent[-1])  # just recorded: nothing ran in between
        return response

    async def _put(self, request: web.Request) -> web.Response:
        response = await super()._put(request)
        await self._file(self.sent[-1])
        return response

    async def _file(self, sent: SentActivity) -> None:
        self.by_conversation.setdefault(sent.conversation_id, []).append(sent)
        arrival = self._arrival(sent.conversation_id)
        async with arrival:
            arrival.notify_all()

    def _arrival(self, conversation_id: str) -> asyncio.Condition:
        return self._arrivals.setdefault(conversation_id, asyncio.Condition())

    def activities(self, conversation_id: str) -> list[SentActivity]:
        return self.by_conversation.get(conversation_id, [])

    async def first_after(self, conversation_id: str, mark: int, wanted: Callable[[SentActivity], bool],
                          within_s: float) -> SentActivity:
        """The first activity of the conversation, from position `mark` on, that `wanted` accepts."""
        arrival = self._arrival(conversation_id)
        async with asyncio.timeout(within_s), arrival:
            while True:
                found = next((sent for sent in self.activities(conversation_id)[mark:] if wanted(sent)), None)
                if found is not None:
                    return found
                await arrival.wait()


def _is_still_working_note(sent: SentActivity) -> bool:
    return sent.text.lower().startswith(STILL_WORKING)


# ----------------------------------------------------------------------------------------- the conversations
@dataclass
class Tally:
    first_answer_ms: dict[str, list[float]] = field(default_factory=dict)
    final_answer_ms: dict[str, list[float]] = field(default_factory=dict)
    late: Counter[str] = field(default_factory=Counter)
    late_delivered_as: Counter[str] = field(default_factory=Counter)  # "card updated" or "new message"
    invokes_over_teams_limit: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    bookings: int = 0
    repeated_clicks: int = 0

    def timed(self, kind: str, first_s: float, final_s: float, *, late: bool, invoke: bool) -> None:
        """One answered turn: when its first answer came (what Teams waits for) and its final one."""
        self.first_answer_ms.setdefault(kind, []).append(first_s * 1000)
        self.final_answer_ms.setdefault(kind, []).append(final_s * 1000)
        if late:
            self.late[kind] += 1
        if invoke and first_s >= TEAMS_INVOKE_LIMIT_SECONDS:
            self.invokes_over_teams_limit += 1

    def error(self, kind: str, reason: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {reason[:160]}")


@dataclass
class Client:
    url: str
    connector: WatchedConnector
    session: aiohttp.ClientSession
    tally: Tally

    async def post(self, body: dict[str, Any]) -> tuple[int, Any]:
        async with self.session.post(f"{self.url}/api/messages", json=body) as response:
            answer = await response.json() if response.content_type == "application/json" else None
            return response.status, answer

    async def late_answer(self, user: TeamsUser, mark: int, wanted: Callable[[SentActivity], bool],
                          started: float) -> SentActivity:
        try:
            return await self.connector.first_after(user.conversation_id, mark, wanted,
                                                    LATE_ANSWER_TIMEOUT_S - (time.perf_counter() - started))
        except TimeoutError:
            raise TurnFailed(f"said still working, then no answer within {LATE_ANSWER_TIMEOUT_S:.0f} s") from None

    async def say(self, kind: str, user: TeamsUser, text: str) -> None:
        mark = len(self.connector.activities(user.conversation_id))
        started = time.perf_counter()
        status, _ = await self.post(user.activity(self.connector.url, "message", text=text))
        first_s = time.perf_counter() - started
        if status != 201:
            raise TurnFailed(f"message answered HTTP {status}")
        replies = [sent for sent in self.connector.activities(user.conversation_id)[mark:]
                   if sent.body.get("type") == "message"]
        late = any(_is_still_working_note(sent) for sent in replies)
        if late:  # the reply follows from the background, as a new message
            reply: SentActivity | None = await self.late_answer(
                user, mark, lambda sent: sent.body.get("type") == "message" and not _is_still_working_note(sent),
                started)
        else:
            reply = replies[-1] if replies else None
        self.tally.timed(kind, first_s, time.perf_counter() - started, late=late, invoke=False)
        if reply is None or any(failed in reply.text.lower() for failed in FAILED_TURN):
            raise TurnFailed(f"no proper reply: {reply.text if reply else '(nothing)'}")

    async def click(self, kind: str, user: TeamsUser, verb: str, data: dict[str, Any],
                    card_id: str) -> tuple[int, Any]:
        """Clicks a button on the card in message `card_id`; the answer, the late one if it said still working."""
        mark = len(self.connector.activities(user.conversation_id))
        started = time.perf_counter()
        status, answer = await self.post(user.activity(
            self.connector.url, "invoke", name="adaptiveCard/action", replyToId=card_id,
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
        ))
        first_s = time.perf_counter() - started
        late = status == 200 and _is_still_working_card(answer)
        if late:  # the card is replaced in place (PUT), or the answer comes as a new message
            update = await self.late_answer(
                user, mark, lambda sent: (sent.method == "PUT" and sent.activity_id == card_id)
                or (sent.method == "POST" and sent.body.get("type") == "message"), started)
            answer = ({"type": ADAPTIVE_CARD, "value": update.cards[0]} if update.cards
                      else {"type": MESSAGE_ANSWER, "value": update.text})
            self.tally.late_delivered_as["card updated" if update.method == "PUT" else "new message"] += 1
        self.tally.timed(kind, first_s, time.perf_counter() - started, late=late, invoke=True)
        return status, answer


def _is_still_working_card(answer: Any) -> bool:
    if not isinstance(answer, dict) or answer.get("type") != ADAPTIVE_CARD or not isinstance(answer.get("value"), dict):
        return False
    return first_text(answer["value"]).lower().startswith(STILL_WORKING)


def _window(week: int) -> tuple[date, date]:
    first = datetime.now(UTC).date() + timedelta(days=1 + week * WINDOW_DAYS)
    return first, first + timedelta(days=WINDOW_DAYS - 1)


def _booked(answer: tuple[int, Any]) -> dict[str, Any]:
    card = card_in(*answer)
    if not any(actions_with_verb(card, "cancelBooking")):
        raise TurnFailed(f"not a booking confirmation: {first_text(card)}")
    return card


def _booked_or_in_flight(answer: tuple[int, Any]) -> None:
    """A repeated click answers with the one booking: its confirmation, or that it is still being made (as a
    text, or, when that answer came late, as the card that replaced "still working")."""
    status, body = answer
    if status == 200 and isinstance(body, dict):
        said = first_text(body["value"]) if _is_card(body) else body.get("value", "")
        if STILL_BOOKING in str(said).lower():
            return
    _booked(answer)


def _is_card(body: dict[str, Any]) -> bool:
    return body.get("type") == ADAPTIVE_CARD and isinstance(body.get("value"), dict)


async def converse(client: Client, organizer: TeamsUser, colleague: TeamsUser, stop_at: float,
                   retry_every: int) -> None:
    """One conversation's loop: find times, book the first, sometimes `my meetings`, until stop_at."""
    tally = client.tally
    week, cycle = 0, 0
    while time.monotonic() < stop_at and week < HORIZON_WEEKS:
        cycle += 1
        card_id = f"card-{organizer.aad_object_id[:8]}-{cycle}"  # the message whose card each click replaces
        try:
            first, last = _window(week)
            card = card_in(*await client.click("find times", organizer, "findTimes",
                                               Meeting(organizer, colleague, first, last).form(), card_id))
            offered = [action["data"] for action in actions_with_verb(card, "book")]
            if not offered:
                week += 1  # this week is full: the next one
                continue
            if retry_every and tally.bookings % retry_every == retry_every - 1:
                tally.repeated_clicks += 1
                first_answer, repeat = await asyncio.gather(
                    client.click("book", organizer, "book", offered[0], card_id),
                    client.click("book (repeated)", organizer, "book", offered[0], card_id))
                _booked(first_answer)
                _booked_or_in_flight(repeat)
            else:
                _booked(await client.click("book", organizer, "book", offered[0], card_id))
            tally.bookings += 1
            if cycle % MY_MEETINGS_EVERY == 0:
                await client.say("my meetings", organizer, "my meetings")
        except TurnFailed as failed:
            tally.error("turn", str(failed))
        except Exception as exc:  # a benchmark reports what broke and carries on
            tally.error("exception", f"{type(exc).__name__}: {exc}")


# ----------------------------------------------------------------------------------------- Outlook vs bookings
async def duplicates_in(emu: Emulator, database_url: str, pairs: list[tuple[TeamsUser, TeamsUser]]) -> dict[str, int]:
    """What a person would call a duplicate or a lost meeting, counted from Outlook and the booking rows."""
    db = Database(database_url)
    try:
        bookings = await BookingRepository(db, LOAD_TENANT).list_all()
    finally:
        await db.dispose()
    confirmed = {b.event_id for b in bookings if b.status == "confirmed"}
    events_per_booking: Counter[str] = Counter()
    organizer_events: dict[str, str] = {}
    overlaps = 0
    for organizer, _ in pairs:
        mine = [e for e in emu.created_events(organizer.email) if e.is_organizer and not e.is_cancelled]
        for event in mine:
            events_per_booking[event.transaction_id or event.immutable_id] += 1
            organizer_events[event.immutable_id] = organizer.aad_object_id
        ordered = sorted(mine, key=lambda e: e.start)
        overlaps += sum(1 for earlier, later in zip(ordered, ordered[1:], strict=False) if later.start < earlier.end)
    return {
        "same booking twice in Outlook": sum(count - 1 for count in events_per_booking.values() if count > 1),
        "Outlook event without a confirmed booking": len(set(organizer_events) - confirmed),
        "confirmed booking without its Outlook event": len(confirmed - set(organizer_events)),
        "one organizer booked twice at the same time": overlaps,
        "bookings left reserved": sum(1 for b in bookings if b.status == "reserved"),
    }


# ----------------------------------------------------------------------------------------- the run
async def run(options: LoadOptions) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rendezvous-conversations-") as scratch:
        folder = Path(scratch)
        bench_options = Options(database=options.database, postgres_url=options.postgres_url)
        async with scratch_database(bench_options, folder) as (database_url, database_version), \
                running_emulator(load_org(options.conversations), generate_calendars=False,
                                 faults=FaultConfig(latency_seconds=options.microsoft_latency)) as emu:
            pairs = pairs_of(emu)
            connector = WatchedConnector()
            for organizer, colleague in pairs:
                connector.members[organizer.teams_user_id] = organizer.member_info()
                connector.members[colleague.teams_user_id] = colleague.member_info()
            stub = TestServer(connector.app(), host="127.0.0.1")
            await stub.start_server()
            connector.url = str(stub.make_url("")).rstrip("/")
            try:
                deadline = str(options.turn_deadline)
                bot_log = folder / "bot.log"  # until the bot process names its own
                async with bot_process(database_url, emu, folder, TURN_DEADLINE_SECONDS=deadline) as bot, \
                        aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0),
                    timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT_S),
                ) as session:
                    started_kib = bot.memory()
                    bot_log = bot.log_file
                    db = Database(database_url)
                    try:  # the admin's set-up, through storage: domain-wide, no security group
                        tenants = TenantRepository(db, LOAD_TENANT)
                        await tenants.save_setup("domain_wide", None, pairs[0][0].aad_object_id)
                        await tenants.enable(pairs[0][0].aad_object_id, pairs[0][0].name)
                    finally:
                        await db.dispose()
                    warm_up = Tally()
                    client = Client(bot.url, connector, session, warm_up)
                    log.info("%d people say hello", 2 * len(pairs))
                    for organizer, colleague in pairs:
                        await client.say("hello", organizer, "help")
                        await client.say("hello", colleague, "help")
                    before_kib = bot.memory()
                    tally = Tally()
                    client.tally = tally
                    log.info("%d conversations for %.0f s", len(pairs), options.seconds)
                    load_before = os.getloadavg()
                    began = time.monotonic()
                    await asyncio.gather(*(converse(client, organizer, colleague, began + options.seconds,
                                                    options.retry_every) for organizer, colleague in pairs))
                    wall_s = time.monotonic() - began
                    load_after = os.getloadavg()
                    after_kib = bot.memory()
                    log_errors = _error_lines(bot.log_file)
            finally:
                await stub.close()
                kept_log = _keep_bot_log(bot_log, options.output)
            duplicates = await duplicates_in(emu, database_url, pairs)
    report = _report(options, database_version, tally, duplicates, wall_s,
                     {"after start-up": started_kib, "before load": before_kib, "after load": after_kib},
                     log_errors)
    # The machine may be shared: its load average (1, 5, 15 min) says how much of it the run had.
    report["machine"]["load_average"] = {"before load": list(load_before), "after load": list(load_after)}
    report["bot_log"] = str(kept_log)
    return report


def _keep_bot_log(log_file: Path, output: Path) -> Path:
    """The bot's log (INFO, no personal data) next to the JSON, to read what its ERROR lines were."""
    kept = output.with_name(f"{output.stem}-bot.log")
    kept.parent.mkdir(parents=True, exist_ok=True)
    if log_file.exists():
        shutil.copyfile(log_file, kept)
    return kept


def _error_lines(log_file: Path) -> int:
    return sum(1 for line in log_file.read_text(encoding="utf-8").splitlines() if " ERROR " in line)


def _report(options: LoadOptions, database_version: str, tally: Tally, duplicates: dict[str, int],
            wall_s: float, memory: dict[str, dict[str, int]], log_errors: int) -> dict[str, Any]:
    first_answers = [ms for samples in tally.first_answer_ms.values() for ms in samples]
    final_answers = [ms for samples in tally.final_answer_ms.values() for ms in samples]
    kinds = {kind: {"turns": len(samples), "late": tally.late[kind],
                    "first_answer_ms": _percentiles(samples),
                    "final_answer_ms": _percentiles(tally.final_answer_ms[kind])}
             for kind, samples in sorted(tally.first_answer_ms.items())}
    return {
        "machine": machine_facts(options.database, database_version),
        "settings": {key: str(value) if isinstance(value, Path) else value for key, value in asdict(options).items()
                     if key != "postgres_url"},
        "wall_seconds": wall_s,
        "turns": len(first_answers),
        "turns_per_second": len(first_answers) / wall_s if wall_s > 0 else 0.0,
        "bookings": tally.bookings,
        "repeated_clicks": tally.repeated_clicks,
        "errors": sum(tally.errors.values()),
        "error_examples": tally.examples,
        "bot_log_error_lines": log_errors,
        "duplicates": sum(duplicates.values()),
        "duplicate_checks": duplicates,
        "late_turns": sum(tally.late.values()),
        "late_clicks_answered_by": {way: tally.late_delivered_as[way] for way in ("card updated", "new message")},
        "invokes_over_teams_limit": tally.invokes_over_teams_limit,
        "first_answer_ms": _percentiles(first_answers),
        "final_answer_ms": _percentiles(final_answers),
        "per_kind": kinds,
        "bot_memory_kib": memory,
    }


def _percentiles(samples: list[float]) -> dict[str, float]:
    return {"p50": percentile(samples, 0.50), "p95": percentile(samples, 0.95), "p99": percentile(samples, 0.99),
            "max": max(samples, default=0.0)}


def _spread(figures: dict[str, float]) -> str:
    return "  ".join(f"{name} {figures[name]:>7.0f}" for name in ("p50", "p95", "p99", "max"))


def format_report(report: dict[str, Any]) -> str:
    machine, memory, settings = report["machine"], report["bot_memory_kib"], report["settings"]
    load = machine["load_average"]
    lines = [
        f"Rendezvous under load, {machine['date']}: {machine['cores']} cores ({machine['cpu']}), {machine['python']}",
        f"database: {machine['database']} {machine['database_version']}; all traffic on loopback; load average "
        f"(1/5/15 min) {'/'.join(f'{v:.1f}' for v in load['before load'])} before, "
        f"{'/'.join(f'{v:.1f}' for v in load['after load'])} after",
        f"{settings['conversations']} conversations for {settings['seconds']:.0f} s "
        f"(wall {report['wall_seconds']:.1f} s): {report['turns']} turns ({report['turns_per_second']:.1f}/s), "
        f"{report['bookings']} bookings, {report['repeated_clicks']} of them clicked twice at once",
        f"bot turn deadline {settings['turn_deadline']:g} s; Entra ID and Graph answer after "
        f"{settings['microsoft_latency']:g} s more than they take",
        f"errors: {report['errors']}    duplicates: {report['duplicates']}    "
        f"ERROR lines in the bot's log: {report['bot_log_error_lines']} (the log: {report['bot_log']})",
        f"turns answered 'still working', then late: {report['late_turns']}    clicks first answered after "
        f"Teams' {TEAMS_INVOKE_LIMIT_SECONDS:.0f} s: {report['invokes_over_teams_limit']}",
        "late clicks answered by: " + ", ".join(f"{way} {count}" for way, count
                                                in report["late_clicks_answered_by"].items()),
        f"first answer ms  {_spread(report['first_answer_ms'])}",
        f"final answer ms  {_spread(report['final_answer_ms'])}",
    ]
    for kind, figures in report["per_kind"].items():
        lines.append(f"  {kind:<16} {figures['turns']:>6} turns, {figures['late']:>5} late   "
                     f"first  {_spread(figures['first_answer_ms'])}")
        lines.append(f"  {'':<16} {'':>6}{'':>20}final  {_spread(figures['final_answer_ms'])}")
    lines.append("bot resident memory (VmRSS): " + ", ".join(
        f"{moment} {figures['VmRSS'] / 1024:.0f} MiB" for moment, figures in memory.items())
        + f"; peak (VmHWM) {memory['after load']['VmHWM'] / 1024:.0f} MiB")
    for check, count in report["duplicate_checks"].items():
        lines.append(f"  {check}: {count}")
    for example in report["error_examples"]:
        lines.append(f"  error: {example}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    quiet_logging(log)
    report = asyncio.run(run(options))
    publish(format_report(report), options.output, report, log)
    return 1 if report["errors"] or report["duplicates"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
