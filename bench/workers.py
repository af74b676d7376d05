"""Rendezvous as production runs it: worker processes on PostgreSQL, with the emulator in a process of its own.

    .venv/bin/python -m bench.workers [--conversations 20] [--seconds 20] [--distinct 1000]

Every figure comes from one run; timings are reported, never judged. The rows:

* **1 vs 2 workers**: `python serve.py` with WEB_CONCURRENCY=1, then 2, each on a new scratch PostgreSQL database;
  `--conversations` conversations loop (find times, book the first time offered) for `--seconds`. Turns per
  second of each, and their ratio.
* **one mailbox, 2 workers**: twelve different searches of one organizer at once, through the 2-worker server,
  while Outlook takes 0.2 s over each free/busy read: the most requests Outlook (the emulator) saw in flight
  for that mailbox. Outlook's limit is 4. Also the largest per-mailbox figure of the whole 2-worker load.
* **slot overhead**: one request's take and release of a mailbox slot, shared through PostgreSQL (advisory
  lock) and in-process (semaphore), on an idle mailbox.
* **Graph calls per booking**: ten bookings one after another (a search, then Book on the first time), every
  Graph request counted from the emulator's call log: free/busy reads (the search's and the re-check), creates,
  anything else.
* **memory**: `python app.py` after start-up and after `--distinct` distinct conversations, each `help` and one
  search (VmRSS from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy.engine import make_url

from bench.conversations import (
    LOAD_TENANT,
    BotProcess,
    Client,
    Tally,
    WatchedConnector,
    bot_process,
    converse,
    load_org_file,
    pairs_of,
)
from bench.emulator_process import EmulatorProcess, emulator_in_own_process
from bench.load import TurnFailed
from bench.report import machine_facts, publish, quiet_logging
from bench.run import POSTGRES_ADMIN_URL, Options, scratch_database
from bench.scenarios import Meeting, actions_with_verb, card_in
from config import PROJECT_ROOT
from graph.mailbox_slots import LocalMailboxSlots
from storage.database import Database
from storage.mailbox_slots import PostgresMailboxSlots
from storage.repositories import TenantRepository
from tests.harness import TeamsUser

log = logging.getLogger("bench.workers")

DEFAULT_OUTPUT = PROJECT_ROOT / "data" / "bench" / "workers.json"
OUTLOOK_LIMIT = 4
ONE_MAILBOX_SEARCHES = 12
ONE_MAILBOX_READ_SECONDS = 0.2
BOOKINGS_COUNTED = 10
SLOT_ROUNDS = 300
MEMORY_CONCURRENCY = 8
TURN_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class WorkerOptions:
    conversations: int = 20
    seconds: float = 20.0
    distinct: int = 1000
    output: Path = DEFAULT_OUTPUT
    postgres_url: str = POSTGRES_ADMIN_URL


def parse_options(argv: list[str] | None = None) -> WorkerOptions:
    defaults = WorkerOptions()
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=defaults.conversations,
                        help="conversations at once in the 1- and 2-worker runs (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=defaults.seconds,
                        help="length of each of those runs (default %(default)s)")
    parser.add_argument("--distinct", type=int, default=defaults.distinct,
                        help="distinct conversations before the memory is read (default %(default)s)")
    parser.add_argument("--output", type=Path, default=defaults.output, help="JSON results (default %(default)s)")
    parser.add_argument("--postgres-url", default=defaults.postgres_url,
                        help="server where throw-away databases are created (default: POSTGRES_TEST_URL or local)")
    args = parser.parse_args(argv)
    if min(args.conversations, args.distinct) < 1 or args.seconds <= 0:
        parser.error("--conversations, --distinct and --seconds must be positive")
    return WorkerOptions(args.conversations, args.seconds, args.distinct, args.output, args.postgres_url)


@dataclass
class Shared:
    """What every row uses: the emulator's process, the connector stub, the people, one HTTP session."""

    emu: EmulatorProcess
    connector: WatchedConnector
    pairs: list[tuple[TeamsUser, TeamsUser]]
    session: aiohttp.ClientSession
    folder: Path
    options: WorkerOptions

    def client(self, bot: BotProcess, tally: Tally | None = None) -> Client:
        return Client(bot.url, self.connector, self.session, tally or Tally())

    @asynccontextmanager
    async def bot(self, entry: str = "app.py", **settings: str) -> AsyncIterator[tuple[BotProcess, str]]:
        """A bot process on a new scratch database where the load tenant is connected domain-wide."""
        scratch = Options(database="postgres", postgres_url=self.options.postgres_url)
        async with scratch_database(scratch, self.folder) as (database_url, _), \
                bot_process(database_url, self.emu, self.folder, entry=entry, **settings) as bot:
            db = Database(database_url)
            try:
                organizer = self.pairs[0][0]
                tenants = TenantRepository(db, LOAD_TENANT)
                await tenants.save_setup("domain_wide", None, organizer.aad_object_id)
                await tenants.enable(organizer.aad_object_id, organizer.name)
            finally:
                await db.dispose()
            yield bot, database_url


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_tree(pid: int) -> list[int]:
    """The process and its descendants (serve.py's master and its workers), from /proc (Linux)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text(encoding="ascii").split()
        for child in children:
            found.extend(_process_tree(int(child)))
    return found


def _cpu_ticks(pids: list[int]) -> int:
    """User and system CPU ticks the processes used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def _machine_ticks() -> tuple[int, int]:
    """(idle, all) CPU ticks of the whole machine so far."""
    values = [int(value) for value in Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()[1:]]
    return values[3] + values[4], sum(values)


async def _say_hello(client: Client, people: list[TeamsUser]) -> None:
    for person in people:
        await client.say("hello", person, "help")


async def throughput(shared: Shared, workers: int, pairs: list[tuple[TeamsUser, TeamsUser]]) -> dict[str, Any]:
    """Turns per second of `pairs` conversations booking for --seconds through serve.py with `workers` workers."""
    async with shared.bot("serve.py", WEB_CONCURRENCY=str(workers)) as (bot, _):
        client = shared.client(bot)
        await _say_hello(client, [person for pair in pairs for person in pair])
        await shared.emu.clear_calls(shared.session)
        tally = Tally()
        client.tally = tally
        bot_processes = _process_tree(bot.process.pid)
        bot_before, machine_before = _cpu_ticks(bot_processes), _machine_ticks()
        began = time.monotonic()
        await asyncio.gather(*(converse(client, organizer, colleague, began + shared.options.seconds, 0)
                               for organizer, colleague in pairs))
        wall = time.monotonic() - began
        bot_ticks, (idle_after, all_after) = _cpu_ticks(bot_processes) - bot_before, _machine_ticks()
        turns = sum(len(samples) for samples in tally.first_answer_ms.values())
        result: dict[str, Any] = {
            "workers": workers, "turns": turns, "bookings": tally.bookings, "errors": sum(tally.errors.values()),
            "error_examples": tally.examples, "wall_seconds": wall, "turns_per_second": turns / wall,
            "peak_per_mailbox": max((await shared.emu.peak_concurrency(shared.session)).values(), default=0),
            # How many cores the bot's processes kept busy, and how idle the whole machine was meanwhile: a second
            # worker can only add throughput where a core is free.
            "bot_cores_busy": bot_ticks / CLOCK_TICKS / wall,
            "machine_idle_share": (idle_after - machine_before[0]) / max(1, all_after - machine_before[1]),
        }
        if workers > 1:
            result["one_mailbox"] = await one_mailbox(shared, bot, pairs[0])
        return result


async def one_mailbox(shared: Shared, bot: BotProcess, pair: tuple[TeamsUser, TeamsUser]) -> dict[str, Any]:
    """Twelve different searches of one organizer at once, while Outlook is slow: the peak in flight there."""
    organizer, colleague = pair
    await shared.emu.set_faults(shared.session, {"rules": [
        {"path": "/calendar/getSchedule", "status": None, "times": None, "delay_seconds": ONE_MAILBOX_READ_SECONDS}]})
    await shared.emu.clear_calls(shared.session)
    client = shared.client(bot)
    today = datetime.now(UTC).date()
    days = [today + timedelta(days=1 + index) for index in range(ONE_MAILBOX_SEARCHES)]
    try:
        answers = await asyncio.gather(*(client.click("one mailbox", organizer, "findTimes",
                                                      Meeting(organizer, colleague, day, day).form(),
                                                      f"card-one-mailbox-{index}")
                                         for index, day in enumerate(days)), return_exceptions=True)
    finally:
        await shared.emu.set_faults(shared.session, {})
    failed = sum(1 for answer in answers if isinstance(answer, BaseException) or answer[0] != 200)
    peaks = await shared.emu.peak_concurrency(shared.session)
    throttled = sum(1 for call in await shared.emu.calls(shared.session) if call["status"] == 429)
    return {"searches": ONE_MAILBOX_SEARCHES, "failed": failed, "peak_in_flight": peaks.get(organizer.email, 0),
            "answered_429": throttled}


async def graph_calls_per_booking(shared: Shared, pairs: list[tuple[TeamsUser, TeamsUser]]) -> dict[str, Any]:
    async with shared.bot() as (bot, _):
        client = shared.client(bot)
        await _say_hello(client, [person for pair in pairs for person in pair])
        await shared.emu.clear_calls(shared.session)
        first = datetime.now(UTC).date() + timedelta(days=8)
        for organizer, colleague in pairs:
            card_id = f"card-counted-{organizer.aad_object_id[:8]}"
            card = card_in(*await client.click("find times", organizer, "findTimes",
                                               Meeting(organizer, colleague, first, first + timedelta(days=6)).form(),
                                               card_id))
            offered = [action["data"] for action in actions_with_verb(card, "book")]
            if not offered:
                raise TurnFailed("no time offered for a counted booking")
            card = card_in(*await client.click("book", organizer, "book", offered[0], card_id))
            if not any(actions_with_verb(card, "cancelBooking")):
                raise TurnFailed("a counted booking was not confirmed")
        kinds: Counter[str] = Counter()
        for call in await shared.emu.calls(shared.session):
            if not call["path"].startswith("/v1.0/"):
                continue  # Entra ID (tokens), not Graph
            if call["path"].endswith("/getSchedule") or call["path"].endswith("/findMeetingTimes"):
                kinds["free/busy reads"] += 1
            elif call["method"] == "POST" and call["path"].endswith("/events"):
                kinds["creates"] += 1
            else:
                kinds["other"] += 1
    return {"bookings": len(pairs), **{kind: kinds[kind] / len(pairs)
                                       for kind in ("free/busy reads", "creates", "other")}}


async def slot_overhead(database_url: str) -> dict[str, float]:
    """Microseconds for one take-and-release of a free slot, through PostgreSQL and in-process."""
    figures: dict[str, float] = {}
    shared_slots = PostgresMailboxSlots(make_url(database_url))
    try:
        for name, slots in (("postgresql", shared_slots), ("in-process", LocalMailboxSlots())):
            key = f"{LOAD_TENANT}/{uuid.uuid4()}"
            async with slots.slot(key):  # the pool's first connection is not what is measured
                pass
            began = time.perf_counter()
            for _ in range(SLOT_ROUNDS):
                async with slots.slot(key):
                    pass
            figures[name] = (time.perf_counter() - began) / SLOT_ROUNDS * 1e6
    finally:
        await shared_slots.aclose()
    return figures


async def memory_after_conversations(shared: Shared) -> dict[str, Any]:
    """`python app.py` after start-up, then after --distinct conversations each said help and searched once."""
    pairs = shared.pairs[:shared.options.distinct]
    async with shared.bot() as (bot, database_url):
        started = bot.memory()
        overhead = await slot_overhead(database_url)
        client = shared.client(bot)
        gate = asyncio.Semaphore(MEMORY_CONCURRENCY)
        first = datetime.now(UTC).date() + timedelta(days=15)

        async def conversation(organizer: TeamsUser, colleague: TeamsUser) -> None:
            async with gate:
                await client.say("hello", organizer, "help")
                card_in(*await client.click("find times", organizer, "findTimes",
                                            Meeting(organizer, colleague, first, first + timedelta(days=6)).form(),
                                            f"card-memory-{organizer.aad_object_id[:8]}"))

        outcomes = await asyncio.gather(*(conversation(*pair) for pair in pairs), return_exceptions=True)
        after = bot.memory()
    return {"conversations": len(pairs), "failed": sum(1 for o in outcomes if isinstance(o, BaseException)),
            "rss_mib_after_start": started["VmRSS"] / 1024, "rss_mib_after": after["VmRSS"] / 1024,
            "peak_mib": after["VmHWM"] / 1024, "slot_microseconds": overhead}


async def run(options: WorkerOptions) -> dict[str, Any]:
    people_needed = max(options.distinct, 2 * options.conversations + BOOKINGS_COUNTED)
    with tempfile.TemporaryDirectory(prefix="rendezvous-workers-") as scratch:
        folder = Path(scratch)
        async with emulator_in_own_process(load_org_file(people_needed), folder) as emu:
            pairs = pairs_of(emu)
            connector = WatchedConnector()
            for pair in pairs:
                for person in pair:
                    connector.members[person.teams_user_id] = person.member_info()
            stub = TestServer(connector.app(), host="127.0.0.1")
            await stub.start_server()
            connector.url = str(stub.make_url("")).rstrip("/")
            try:
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True),
                                                 timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT_S)) as session:
                    shared = Shared(emu, connector, pairs, session, folder, options)
                    count = options.conversations
                    report: dict[str, Any] = {}
                    log.info("1 worker: %d conversations for %.0f s", count, options.seconds)
                    report["one_worker"] = await throughput(shared, 1, pairs[:count])
                    log.info("2 workers: %d other conversations for %.0f s", count, options.seconds)
                    report["two_workers"] = await throughput(shared, 2, pairs[count:2 * count])
                    log.info("Graph calls of %d bookings", BOOKINGS_COUNTED)
                    report["graph_calls_per_booking"] = await graph_calls_per_booking(
                        shared, pairs[2 * count:2 * count + BOOKINGS_COUNTED])
                    log.info("memory after %d distinct conversations", options.distinct)
                    report["memory"] = await memory_after_conversations(shared)
            finally:
                await stub.close()
    one, two = report["one_worker"]["turns_per_second"], report["two_workers"]["turns_per_second"]
    report["throughput_ratio_2_to_1"] = two / one if one else 0.0
    report["machine"] = machine_facts("postgres", "")
    report["settings"] = {key: str(value) if isinstance(value, Path) else value
                          for key, value in asdict(options).items() if key != "postgres_url"}
    return report


def format_report(report: dict[str, Any]) -> str:
    one, two, calls, memory = (report["one_worker"], report["two_workers"], report["graph_calls_per_booking"],
                               report["memory"])
    burst = two["one_mailbox"]
    machine = report["machine"]
    lines = [
        f"Rendezvous in worker processes, {machine['date']}: {machine['cores']} cores ({machine['cpu']}), "
        f"{machine['python']}; PostgreSQL; the emulator in its own process",
        f"{'row':<44} {'figure':>12}",
        f"{'1 worker: turns per second':<44} {one['turns_per_second']:>12.1f}",
        f"{'2 workers: turns per second':<44} {two['turns_per_second']:>12.1f}",
        f"{'2 workers / 1 worker (throughput)':<44} {report['throughput_ratio_2_to_1']:>11.2f}x",
        f"{'errors (1 worker, 2 workers)':<44} {one['errors']:>6} {two['errors']:>5}",
        f"{'cores the bot kept busy (1 worker, 2 workers)':<44} {one['bot_cores_busy']:>6.2f} "
        f"{two['bot_cores_busy']:>5.2f}",
        f"{'machine idle share (1 worker, 2 workers)':<44} {one['machine_idle_share']:>6.0%} "
        f"{two['machine_idle_share']:>5.0%}",
        f"{'peak in flight per mailbox, 2-worker load':<44} {two['peak_per_mailbox']:>12}",
        f"{'peak in flight, one mailbox, 12 at once':<44} {burst['peak_in_flight']:>12}",
        f"{'  of which answered 429 / failed searches':<44} {burst['answered_429']:>6} {burst['failed']:>5}",
        f"{'slot take+release, PostgreSQL (us)':<44} {memory['slot_microseconds']['postgresql']:>12.0f}",
        f"{'slot take+release, in-process (us)':<44} {memory['slot_microseconds']['in-process']:>12.0f}",
        f"{'Graph free/busy reads per booking':<44} {calls['free/busy reads']:>12.2f}",
        f"{'Graph creates per booking':<44} {calls['creates']:>12.2f}",
        f"{'other Graph calls per booking':<44} {calls['other']:>12.2f}",
        f"{'bot RSS after start-up (MiB)':<44} {memory['rss_mib_after_start']:>12.0f}",
        f"{'bot RSS after ' + str(memory['conversations']) + ' conversations (MiB)':<44} "
        f"{memory['rss_mib_after']:>12.0f}",
        f"{'  failed conversations':<44} {memory['failed']:>12}",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    quiet_logging(log)
    report = asyncio.run(run(options))
    publish(format_report(report), options.output, report, log)
    failures = report["one_worker"]["errors"] + report["two_workers"]["errors"] + report["memory"]["failed"]
    return 1 if failures or report["two_workers"]["one_mailbox"]["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
