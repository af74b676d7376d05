"""Many people booking at once for a fixed time: errors, duplicate meetings, turn latency and the bot's memory.

    .venv/bin/python -m bench.conversations [--conversations 200] [--seconds 60] [--database postgres]

The bot runs as `python app.py` in its own process (as in production, so its memory is its own), against
the Entra ID + Graph emulator and a recording Bot Connector stub in this process, all on loopback. The
emulated organization is generated: one organizer and one colleague per conversation, empty calendars,
working hours 08:00-17:00 UTC. After everyone has said hello once, each conversation loops until the
time is up: ask for times, book the first one offered (every `--retry-every`th click is sent twice at
once, as Teams does when an answer is slow), and now and then ask for "my meetings". No cycle starts
after `--seconds`; those under way finish. Then Outlook (the emulator) is compared with the bookings.

Reports: turns, errors (any answer a person would not call success), duplicates (more than one Outlook
event for one booking, an event without a confirmed booking or a confirmed booking without its event,
two meetings of one organizer at the same time), p50/p95/p99 turn time, and the bot's resident memory
before and after the load. Exits 1 on any error or duplicate. Timings are reported, never judged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet

from bench.emulator_process import EmulatorProcess
from bench.load import TurnFailed, percentile
from bench.report import machine_facts
from bench.run import POSTGRES_ADMIN_URL, Options, scratch_database
from bench.scenarios import Meeting, actions_with_verb, card_in, first_text
from config import PROJECT_ROOT
from emulator.org import Org
from emulator.server import Emulator
from emulator.testing import running_emulator
from storage.database import Database
from storage.repositories import BookingRepository, TenantRepository
from tests.harness import ConnectorStub, EmulatorEndpoints, TeamsUser
from tests.processes import free_port

log = logging.getLogger("bench.conversations")

DEFAULT_OUTPUT = PROJECT_ROOT / "data" / "bench" / "conversations.json"
LOAD_TENANT = "0ad5c0de-0000-4000-8000-000000000001"
LOAD_DOMAIN = "load.example"
MY_MEETINGS_EVERY = 2  # cycles
WINDOW_DAYS = 7
HORIZON_WEEKS = 7  # inside the bot's 8-week horizon
TURN_TIMEOUT_S = 120.0  # a turn that takes longer is an error, and the run still ends
STILL_BOOKING = "still booking this meeting"


@dataclass(frozen=True)
class LoadOptions:
    conversations: int = 200
    seconds: float = 60.0
    database: str = "postgres"
    retry_every: int = 10
    output: Path = DEFAULT_OUTPUT
    postgres_url: str = POSTGRES_ADMIN_URL


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
    args = parser.parse_args(argv)
    if args.conversations < 1 or args.seconds <= 0 or args.retry_every < 0:
        parser.error("--conversations and --seconds must be positive, --retry-every at least 0")
    return LoadOptions(args.conversations, args.seconds, args.database, args.retry_every, args.output,
                       args.postgres_url)


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
        await _wait_until_healthy(bot)
        yield bot
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)  # aiohttp's orderly shutdown
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_until_healthy(bot: BotProcess, within_s: float = 60.0) -> None:
    deadline = time.monotonic() + within_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if bot.process.returncode is not None:
                raise RuntimeError(f"the bot exited with {bot.process.returncode}; see {bot.log_file}")
            try:
                async with session.get(f"{bot.url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"the bot did not become healthy within {within_s:.0f} s; see {bot.log_file}")


# ----------------------------------------------------------------------------------------- the conversations
@dataclass
class Tally:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    bookings: int = 0
    repeated_clicks: int = 0

    def timed(self, kind: str, elapsed_s: float) -> None:
        self.latencies_ms.setdefault(kind, []).append(elapsed_s * 1000)

    def error(self, kind: str, reason: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {reason[:160]}")


@dataclass
class Client:
    url: str
    connector: ConnectorStub
    session: aiohttp.ClientSession
    tally: Tally

    async def post(self, kind: str, body: dict[str, Any]) -> tuple[int, Any]:
        started = time.perf_counter()
        async with self.session.post(f"{self.url}/api/messages", json=body) as response:
            answer = await response.json() if response.content_type == "application/json" else None
            status = response.status
        self.tally.timed(kind, time.perf_counter() - started)
        return status, answer

    async def say(self, kind: str, user: TeamsUser, text: str) -> None:
        before = len(self.connector.messages(user.conversation_id))
        status, _ = await self.post(kind, user.activity(self.connector.url, "message", text=text))
        if status != 201:
            raise TurnFailed(f"message answered HTTP {status}")
        replies = self.connector.messages(user.conversation_id)[before:]
        if not replies or "something went wrong" in replies[-1].text.lower():
            raise TurnFailed(f"no proper reply: {replies[-1].text if replies else '(nothing)'}")

    async def click(self, kind: str, user: TeamsUser, verb: str, data: dict[str, Any]) -> tuple[int, Any]:
        return await self.post(kind, user.activity(
            self.connector.url, "invoke", name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
        ))


def _window(week: int) -> tuple[date, date]:
    first = datetime.now(UTC).date() + timedelta(days=1 + week * WINDOW_DAYS)
    return first, first + timedelta(days=WINDOW_DAYS - 1)


def _booked(answer: tuple[int, Any]) -> dict[str, Any]:
    card = card_in(*answer)
    if not any(actions_with_verb(card, "cancelBooking")):
        raise TurnFailed(f"not a booking confirmation: {first_text(card)}")
    return card


def _booked_or_in_flight(answer: tuple[int, Any]) -> None:
    """A repeated click answers with the one booking: its confirmation, or that it is still being made."""
    status, body = answer
    if status == 200 and isinstance(body, dict) and STILL_BOOKING in str(body.get("value", "")).lower():
        return
    _booked(answer)


async def converse(client: Client, organizer: TeamsUser, colleague: TeamsUser, stop_at: float,
                   retry_every: int) -> None:
    """One conversation's loop: find times, book the first, sometimes `my meetings`, until stop_at."""
    tally = client.tally
    week, cycle = 0, 0
    while time.monotonic() < stop_at and week < HORIZON_WEEKS:
        cycle += 1
        try:
            first, last = _window(week)
            card = card_in(*await client.click("find times", organizer, "findTimes",
                                               Meeting(organizer, colleague, first, last).form()))
            offered = [action["data"] for action in actions_with_verb(card, "book")]
            if not offered:
                week += 1  # this week is full: the next one
                continue
            if retry_every and tally.bookings % retry_every == retry_every - 1:
                tally.repeated_clicks += 1
                first_answer, repeat = await asyncio.gather(client.click("book", organizer, "book", offered[0]),
                                                            client.click("book (repeated)", organizer, "book",
                                                                         offered[0]))
                _booked(first_answer)
                _booked_or_in_flight(repeat)
            else:
                _booked(await client.click("book", organizer, "book", offered[0]))
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
                running_emulator(load_org(options.conversations), generate_calendars=False) as emu:
            pairs = pairs_of(emu)
            connector = ConnectorStub()
            for organizer, colleague in pairs:
                connector.members[organizer.teams_user_id] = organizer.member_info()
                connector.members[colleague.teams_user_id] = colleague.member_info()
            stub = TestServer(connector.app(), host="127.0.0.1")
            await stub.start_server()
            connector.url = str(stub.make_url("")).rstrip("/")
            try:
                async with bot_process(database_url, emu, folder) as bot, aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0),
                    timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT_S),
                ) as session:
                    started_kib = bot.memory()
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
                    began = time.monotonic()
                    await asyncio.gather(*(converse(client, organizer, colleague, began + options.seconds,
                                                    options.retry_every) for organizer, colleague in pairs))
                    wall_s = time.monotonic() - began
                    after_kib = bot.memory()
                    log_errors = _error_lines(bot.log_file)
            finally:
                await stub.close()
            duplicates = await duplicates_in(emu, database_url, pairs)
    return _report(options, database_version, tally, duplicates, wall_s,
                   {"after start-up": started_kib, "before load": before_kib, "after load": after_kib},
                   log_errors)


def _error_lines(log_file: Path) -> int:
    return sum(1 for line in log_file.read_text(encoding="utf-8").splitlines() if " ERROR " in line)


def _report(options: LoadOptions, database_version: str, tally: Tally, duplicates: dict[str, int],
            wall_s: float, memory: dict[str, dict[str, int]], log_errors: int) -> dict[str, Any]:
    every = [ms for samples in tally.latencies_ms.values() for ms in samples]
    kinds = {kind: {"turns": len(samples), "p50_ms": percentile(samples, 0.50), "p95_ms": percentile(samples, 0.95),
                    "p99_ms": percentile(samples, 0.99)} for kind, samples in sorted(tally.latencies_ms.items())}
    return {
        "machine": machine_facts(options.database, database_version),
        "settings": {key: str(value) if isinstance(value, Path) else value for key, value in asdict(options).items()
                     if key != "postgres_url"},
        "wall_seconds": wall_s,
        "turns": len(every),
        "turns_per_second": len(every) / wall_s if wall_s > 0 else 0.0,
        "bookings": tally.bookings,
        "repeated_clicks": tally.repeated_clicks,
        "errors": sum(tally.errors.values()),
        "error_examples": tally.examples,
        "bot_log_error_lines": log_errors,
        "duplicates": sum(duplicates.values()),
        "duplicate_checks": duplicates,
        "p50_ms": percentile(every, 0.50), "p95_ms": percentile(every, 0.95), "p99_ms": percentile(every, 0.99),
        "per_kind": kinds,
        "bot_memory_kib": memory,
    }


def format_report(report: dict[str, Any]) -> str:
    machine, memory = report["machine"], report["bot_memory_kib"]
    lines = [
        f"Rendezvous under load, {machine['date']}: {machine['cores']} cores ({machine['cpu']}), {machine['python']}",
        f"database: {machine['database']} {machine['database_version']}; all traffic on loopback",
        f"{report['settings']['conversations']} conversations for {report['settings']['seconds']:.0f} s "
        f"(wall {report['wall_seconds']:.1f} s): {report['turns']} turns ({report['turns_per_second']:.1f}/s), "
        f"{report['bookings']} bookings, {report['repeated_clicks']} of them clicked twice at once",
        f"errors: {report['errors']}    duplicates: {report['duplicates']}    "
        f"ERROR lines in the bot's log: {report['bot_log_error_lines']}",
        f"turn time: p50 {report['p50_ms']:.0f} ms, p95 {report['p95_ms']:.0f} ms, p99 {report['p99_ms']:.0f} ms",
    ]
    for kind, figures in report["per_kind"].items():
        lines.append(f"  {kind:<16} {figures['turns']:>6} turns  p50 {figures['p50_ms']:>7.0f} ms  "
                     f"p95 {figures['p95_ms']:>7.0f} ms  p99 {figures['p99_ms']:>7.0f} ms")
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
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    report = asyncio.run(run(options))
    sys.stdout.write(format_report(report))
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2), encoding="utf-8")
    log.info("results written to %s", options.output)
    return 1 if report["errors"] or report["duplicates"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
