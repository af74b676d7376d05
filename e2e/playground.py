"""Drives Rendezvous end to end through Microsoft 365 Agents Playground, an offline Teams client.

Three real processes, all on this machine:

    Playground (node)  --activities-->  bot (python app.py)  --Entra ID + Graph-->  emulator (python -m emulator)
         ^--------------- replies, cards, proactive messages (mock Bot Connector) ------'

`running_stack()` starts the three on free ports, waits until each answers, and always stops them.
`Playground` is a small client for the Playground's own HTTP and WebSocket API (the one its web UI
uses), so tests act as a Teams user without a browser: type a message, click a card button, watch the
chat. `EmulatorControl` drives the emulator's `/_emulator/...` test levers and plays the browser for
sign-in and consent links.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import socket
import ssl
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from cryptography.fernet import Fernet

from emulator.testing import form_post_of
from node_packages import NodeUnavailable, npm_ci, require_node

log = logging.getLogger(__name__)

E2E_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = E2E_DIR.parent
PLAYGROUND_PACKAGE = "@microsoft/m365agentsplayground"
PLAYGROUND_CLI = E2E_DIR / "node_modules" / ".bin" / "agentsplayground"
DEMO_ORG_FILE = PROJECT_ROOT / "emulator" / "demo_org.json"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
_STOP_TIMEOUT_S = 10


@dataclass(frozen=True)
class OrgProfile:
    """Which organization a Playground emulates: its configuration file, and the current user's time zone.

    The zone of the Playground process becomes the current user's Teams time zone (clientInfo.timezone), so
    it is set to match the zone the emulator's directory gives that person."""

    config: Path
    time_zone: str


# Contoso: domain-wide mode, Adele Vance (Pacific time) as the current user.
CONTOSO = OrgProfile(E2E_DIR / "playground.yml", "America/Los_Angeles")
# Fabrikam: individual (delegated) mode, Fiona Gallagher (Eastern time) as the current user.
FABRIKAM = OrgProfile(E2E_DIR / "playground-fabrikam.yml", "America/New_York")


# One error for "a Node-based check cannot run", whichever check it is.
PlaygroundUnavailable = NodeUnavailable


class StartupError(RuntimeError):
    """One of the three processes did not come up; the message carries the end of its log."""


# ----------------------------------------------------------------------------- installing the Playground


def ensure_playground_installed() -> Path:
    """Returns the Playground's CLI, first running `npm ci` in e2e/ (exact version from the lock file) if needed."""
    require_node()
    npm_ci(E2E_DIR, PLAYGROUND_CLI.exists)
    return PLAYGROUND_CLI


# ----------------------------------------------------------------------------- what the chat shows


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every element of a card, skipping `fallback`s: those replace an element only where it is unsupported."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key != "fallback":
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def card_text(card: dict[str, Any]) -> str:
    """Everything a person can read on an Adaptive Card, one piece per line: text, facts, button titles."""
    lines: list[str] = []
    for element in _walk(card):
        kind = str(element.get("type", ""))
        if kind in ("TextBlock", "TextRun") and element.get("text"):
            lines.append(str(element["text"]))
        elif kind == "FactSet":
            lines.extend(f"{fact.get('title')}: {fact.get('value')}" for fact in element.get("facts", []))
        elif kind.startswith("Action.") and element.get("title"):
            lines.append(str(element["title"]))
    return "\n".join(lines)


def card_actions(card: dict[str, Any], verb: str | None = None) -> list[dict[str, Any]]:
    """The card's Action.Execute buttons (optionally only those with `verb`), in reading order."""
    return [
        element for element in _walk(card)
        if element.get("type") == "Action.Execute" and (verb is None or element.get("verb") == verb)
    ]


def card_links(card: dict[str, Any]) -> list[str]:
    """Every URL a button on the card opens."""
    return [str(element["url"]) for element in _walk(card) if element.get("type") == "Action.OpenUrl"]


def card_facts(card: dict[str, Any]) -> list[dict[str, str]]:
    """Each FactSet on the card as {title: value}, in reading order."""
    return [
        {str(fact.get("title")): str(fact.get("value")) for fact in element.get("facts", [])}
        for element in _walk(card) if element.get("type") == "FactSet"
    ]


def card_input(card: dict[str, Any], input_id: str) -> dict[str, Any]:
    """The input element with this id (what a person fills in before pressing a button)."""
    for element in _walk(card):
        if str(element.get("type", "")).startswith("Input.") and element.get("id") == input_id:
            return element
    raise AssertionError(f"the card has no input {input_id!r}; it reads:\n{card_text(card)}")


@dataclass(frozen=True)
class BotMessage:
    """One bot message as it reached the chat (created or updated)."""

    action: str  # "createMessage" or "updateMessage"
    conversation_id: str
    message_id: str
    text: str
    cards: tuple[dict[str, Any], ...]

    @classmethod
    def from_stream(cls, event: dict[str, Any]) -> BotMessage:
        message = event.get("message") or {}
        cards = tuple(
            attachment["content"] for attachment in message.get("attachments") or []
            if attachment.get("contentType") == ADAPTIVE_CARD and isinstance(attachment.get("content"), dict)
        )
        return cls(
            action=str(event.get("action")),
            conversation_id=str(event.get("actionConversationId") or ""),
            message_id=str(message.get("messageId") or ""),
            text=str(message.get("text") or ""),
            cards=cards,
        )

    @property
    def card(self) -> dict[str, Any]:
        if not self.cards:
            raise AssertionError(f"expected a card, the bot said: {self.text!r}")
        return self.cards[0]

    @property
    def readable(self) -> str:
        """The text and every card's text, as a person reads the message."""
        return "\n".join([self.text, *(card_text(card) for card in self.cards)]).strip()


@dataclass(frozen=True)
class Delivery:
    """An activity the Playground delivered to the bot, and the HTTP status the bot answered it with.

    The bot answers only once its turn is over, so by then every reply of that turn reached the Playground."""

    activity_type: str
    conversation_id: str
    status: int


@dataclass(frozen=True)
class ChatUser:
    id: str  # the Teams user id ("29:...")
    name: str
    aad_object_id: str
    email: str

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> ChatUser:
        return cls(id=raw["id"], name=raw["name"], aad_object_id=raw["aadObjectId"], email=raw.get("email", ""))


@dataclass(frozen=True)
class PlaygroundOrg:
    """The organization the running Playground emulates, as it reports it (not as the YAML file says)."""

    tenant_id: str
    bot_id: str
    bot_name: str
    current_user: ChatUser
    users: tuple[ChatUser, ...]
    personal_chat_id: str
    group_chat_id: str

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> PlaygroundOrg:
        return cls(
            tenant_id=raw["tenantId"],
            bot_id=raw["bot"]["id"],
            bot_name=raw["bot"]["name"],
            current_user=ChatUser.from_config(raw["currentUser"]),
            users=tuple(ChatUser.from_config(user) for user in raw["users"]),
            personal_chat_id=raw["personalChat"]["id"],
            group_chat_id=raw["groupChats"][0]["id"],
        )

    def user(self, first_name: str) -> ChatUser:
        for user in self.users:
            if user.name.split(" ")[0] == first_name:
                return user
        raise KeyError(f"no Playground user called {first_name}")


# ----------------------------------------------------------------------------- the Playground client


class Playground:
    """Acts as the Playground's current user through its HTTP API; collects what the bot posts."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self.messages: list[BotMessage] = []
        self.deliveries: list[Delivery] = []
        self._forwarded = 0  # activities this client had the Playground deliver to the bot
        self._arrived = asyncio.Condition()
        self._listeners: list[asyncio.Task[None]] = []
        self._org: PlaygroundOrg | None = None

    @property
    def org(self) -> PlaygroundOrg:
        if self._org is None:
            raise RuntimeError("Playground.open() has not run")
        return self._org

    async def open(self) -> None:
        """Reads the organization and starts listening to the chat stream before anything is said."""
        raw = await self._get_json("/_internal/v1/config")
        self._org = PlaygroundOrg.from_config(raw["config"])
        websocket_base = self.base_url.replace("http", "ws", 1)
        for path, record in (("/_ws_conversation/v1/conversations/stream", self._record_chat_event),
                             ("/_ws/log/stream", self._record_log_entry)):
            socket_ = await self._session.ws_connect(websocket_base + path, heartbeat=20)
            self._listeners.append(asyncio.create_task(self._listen(socket_, record), name=f"playground {path}"))

    async def close(self) -> None:
        for listener in self._listeners:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def _listen(self, socket_: aiohttp.ClientWebSocketResponse,
                      record: Callable[[dict[str, Any]], bool]) -> None:
        try:
            async for frame in socket_:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                async with self._arrived:
                    if record(json.loads(frame.data)):
                        self._arrived.notify_all()
        finally:
            await socket_.close()

    def _record_chat_event(self, event: dict[str, Any]) -> bool:
        if event.get("action") not in ("createMessage", "updateMessage"):
            return False  # typing indicators and the like
        self.messages.append(BotMessage.from_stream(event))
        return True

    def _record_log_entry(self, event: dict[str, Any]) -> bool:
        entry = event.get("log") or {}
        response = entry.get("response")
        if entry.get("to") != "User Application" or not isinstance(response, dict):
            return False  # the Playground's own notices, and the bot's calls to the mock connector
        self.deliveries.append(Delivery(str(entry.get("activityName")), str(entry.get("conversationId")),
                                        int(response.get("statusCode", 0))))
        return True

    async def _get_json(self, path: str) -> Any:
        async with self._session.get(self.base_url + path) as response:
            response.raise_for_status()
            return await response.json()

    async def _post_json(self, path: str, body: dict[str, Any]) -> Any:
        async with self._session.post(self.base_url + path, json=body) as response:
            if response.status >= 400:
                raise AssertionError(f"Playground {path} answered {response.status}: {await response.text()}")
            return await response.json(content_type=None)

    # --------------------------------------------------------------- what the user does

    def mark(self) -> int:
        """A position in the chat; `wait_for_message(since=...)` only looks at what arrived after it."""
        return len(self.messages)

    async def settled(self, within_s: float = 15.0) -> None:
        """Waits until the bot has answered every activity this client sent, and fails if it answered one
        with a server error.

        Every action below waits for this first, as a person waits for the bot before the next click: a
        turn goes on (saving its state) after its reply is already on screen."""
        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.deliveries) >= self._forwarded),
                                       within_s)
            except TimeoutError:
                raise AssertionError(f"the bot answered {len(self.deliveries)} of {self._forwarded} activities "
                                     f"within {within_s} s") from None
        failed = [delivery for delivery in self.deliveries if delivery.status >= 500]
        if failed:
            raise AssertionError(f"the bot failed these activities: {failed}")

    async def say(self, text: str, *, conversation_id: str | None = None) -> str:
        """Types `text` into a chat as the current user (mentioning the bot outside the 1:1 chat).

        Returns the message id."""
        await self.settled()
        conversation = conversation_id or self.org.personal_chat_id
        body: dict[str, Any] = {"from": {"id": self.org.current_user.id}, "text": text, "textFormat": "plain"}
        if conversation != self.org.personal_chat_id:
            mention = f"<at>{self.org.bot_name}</at>"
            body["text"] = f"{mention} {text}"
            body["mentions"] = [{"mentioned": {"id": self.org.bot_id, "name": self.org.bot_name}, "text": mention}]
        sent = await self._post_json(f"/_conversation/v1/conversations/{quote(conversation, safe='')}/messages", body)
        self._forwarded += 1
        return str(sent.get("messageId", ""))

    async def invoke(self, verb: str, data: dict[str, Any], *, reply_to: str, title: str = "",
                     conversation_id: str | None = None) -> dict[str, Any]:
        """Clicks an Action.Execute button on the card `reply_to`; returns the bot's invoke response body.

        Teams swaps the card for the card in that response; the Playground's server does too, without a
        chat-stream event, so callers read the new card from the return value."""
        await self.settled()
        body = {
            "name": "adaptiveCard/action",
            "value": {"action": {"type": "Action.Execute", "title": title, "verb": verb, "data": data}},
            "from": {"id": self.org.current_user.id},
            "conversation": {"id": conversation_id or self.org.personal_chat_id},
            "replyToId": reply_to,
        }
        response: dict[str, Any] = await self._post_json("/_conversation/v1/invoke", body)
        self._forwarded += 1
        return response

    async def click(self, message: BotMessage | dict[str, Any], verb: str, *, reply_to: str) -> dict[str, Any]:
        """Clicks the button with `verb` on a card, sending the data the card carries for it."""
        card = message.card if isinstance(message, BotMessage) else message
        buttons = card_actions(card, verb)
        if not buttons:
            raise AssertionError(f"the card has no {verb!r} button; it reads:\n{card_text(card)}")
        button = buttons[0]
        return await self.invoke(verb, dict(button.get("data") or {}), reply_to=reply_to,
                                 title=str(button.get("title", "")))

    async def install(self, conversation_id: str | None = None, *, within_s: float = 15.0) -> None:
        """Adds the app to a chat, as Teams does (installationUpdate + conversationUpdate with membersAdded).

        Returns once the bot has answered both, so whatever it says about the install is already sent."""
        await self.settled()
        conversation = conversation_id or self.org.personal_chat_id
        await self._post_json(f"/_debug/conversation/{quote(conversation, safe='')}/installation", {})
        self._forwarded += 2
        await self.settled(within_s)

    async def say_as(self, user: ChatUser, text: str, *, conversation_id: str, time_zone: str) -> None:
        """Another member of the org writes to the bot: a custom activity, the Playground's only way to
        speak as someone other than its current user. The bot is mentioned, as Teams requires outside 1:1."""
        await self.settled()
        template = await self._get_json(
            f"/_internal/v1/customActivities/template?conversationId={quote(conversation_id, safe='')}"
        )
        mention = f"<at>{self.org.bot_name}</at>"
        bot = {"id": self.org.bot_id, "name": self.org.bot_name}
        activity = {
            **template,
            "type": "message",
            "text": f"{mention} {text}",
            "textFormat": "plain",
            "from": {"id": user.id, "name": user.name, "aadObjectId": user.aad_object_id},
            "recipient": bot,
            "conversation": {
                **(template.get("conversation") or {}),
                "id": conversation_id,
                "conversationType": "groupChat",
                "isGroup": True,
                "tenantId": self.org.tenant_id,
            },
            "entities": [
                {"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web", "timezone": time_zone},
                {"type": "mention", "mentioned": bot, "text": mention},
            ],
            "channelData": {"tenant": {"id": self.org.tenant_id}},
            "localTimezone": time_zone,
        }
        await self._post_json("/_internal/v1/customActivities", activity)
        self._forwarded += 1

    # --------------------------------------------------------------- waiting for the bot

    async def wait_for_message(self, matches: Callable[[BotMessage], bool] | None = None, *, since: int,
                               within_s: float = 15.0) -> BotMessage:
        """The first bot message after `since` for which `matches` holds (any message when None).

        Fails with everything the chat showed meanwhile, so a wrong reply reads as such, not as a timeout."""

        def found() -> BotMessage | None:
            for message in self.messages[since:]:
                if matches is None or matches(message):
                    return message
            return None

        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(lambda: found() is not None), within_s)
            except TimeoutError:
                seen = "\n---\n".join(message.readable for message in self.messages[since:]) or "(nothing)"
                raise AssertionError(f"no matching bot message within {within_s} s; the chat showed:\n{seen}") from None
        message = found()
        assert message is not None
        return message

    async def wait_for_text(self, fragment: str, *, since: int, within_s: float = 15.0) -> BotMessage:
        """The first bot message after `since` whose readable text contains `fragment`."""
        return await self.wait_for_message(lambda message: fragment in message.readable, since=since,
                                           within_s=within_s)


# ----------------------------------------------------------------------------- the emulator, from outside


class EmulatorControl:
    """The emulator's test levers over HTTP, and a stand-in browser that trusts the emulator's CA."""

    def __init__(self, base_url: str, ca_file: Path, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url.rstrip("/")
        self.ca_file = ca_file
        self._session = session
        self._tls = ssl.create_default_context(cafile=str(ca_file))

    async def _control(self, method: str, name: str, body: dict[str, Any] | None = None) -> Any:
        async with self._session.request(method, f"{self.base_url}/_emulator/{name}", json=body,
                                         ssl=self._tls) as response:
            if response.status >= 400:
                raise AssertionError(f"emulator {name} answered {response.status}: {await response.text()}")
            return await response.json()

    async def sign_in_as(self, oid: str) -> None:
        """The next Entra ID sign-in or consent page is answered as this person, without a page."""
        await self._control("POST", "sign-in-as", {"oid": oid})

    async def calls(self) -> list[dict[str, Any]]:
        """Every Entra ID and Graph request the emulator served, oldest first."""
        calls: list[dict[str, Any]] = await self._control("GET", "calls")
        return calls

    async def events_of(self, tenant_id: str, mailbox: str) -> list[dict[str, Any]]:
        """Every event in a person's calendar, in Graph's shape, read from the emulator itself: an observer
        independent of the bot, needing no token (an individual-mode tenant grants no app-only access)."""
        url: str | None = f"{self.base_url}/_emulator/events?mailbox={quote(mailbox)}&$top=200"
        events: list[dict[str, Any]] = []
        while url:
            async with self._session.get(url, ssl=self._tls) as response:
                if response.status != 200:
                    raise AssertionError(f"listing events of {mailbox} failed: {await response.text()}")
                page = await response.json(content_type=None)
            events.extend(page["value"])
            url = page.get("@odata.nextLink")
        return events

    async def open_link(self, url: str) -> tuple[int, str]:
        """What a browser does with a link from a card: follows every redirect and submits the self-posting
        form Entra answers a form_post sign-in with; returns the last status and page."""
        async with self._session.get(url, ssl=self._tls, allow_redirects=True, max_redirects=10) as response:
            status, page = response.status, await response.text()
        for _ in range(5):
            form = form_post_of(page) if status == 200 else None
            if form is None:
                break
            action, fields = form
            async with self._session.post(action, data=fields, ssl=self._tls, allow_redirects=True,
                                          max_redirects=10) as response:
                status, page = response.status, await response.text()
        return status, page


# ----------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ChildProcess:
    """A process this module started; stdout and stderr go to one log file in the run's folder."""

    name: str
    process: asyncio.subprocess.Process
    log_file: Path

    @classmethod
    async def start(cls, name: str, command: list[str], *, cwd: Path, env: dict[str, str],
                    log_file: Path, started: list[ChildProcess]) -> ChildProcess:
        """Starts the process and appends it to `started` at once, so whoever owns that list stops it."""
        sink = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            process = await asyncio.create_subprocess_exec(
                *command, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink,
            )
        finally:
            os.close(sink)  # the child has its own copy of the descriptor
        log.info("started %s (pid %d), log %s", name, process.pid, log_file)
        child = cls(name, process, log_file)
        started.append(child)
        return child

    def output(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    async def wait_until(self, ready: Callable[[], Awaitable[bool]], within_s: float) -> None:
        """Polls `ready` until it holds; fails early, with the log, if the process exits first."""
        deadline = time.monotonic() + within_s
        while True:
            if self.process.returncode is not None:
                raise StartupError(f"{self.name} exited with code {self.process.returncode}:\n{self.log_tail()}")
            if await ready():
                return
            if time.monotonic() > deadline:
                raise StartupError(f"{self.name} was not ready within {within_s} s:\n{self.log_tail()}")
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self.process.returncode is None:
            log.info("stopping %s (pid %d)", self.name, self.process.pid)
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), _STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("%s did not stop within %d s; killing it", self.name, _STOP_TIMEOUT_S)
                self.process.kill()
                await self.process.wait()


async def _answers(session: aiohttp.ClientSession, url: str, expected_body: str | None = None) -> bool:
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
            return response.status == 200 and (expected_body is None or (await response.text()) == expected_body)
    except (aiohttp.ClientError, TimeoutError):
        return False


@dataclass
class Stack:
    """The three running processes, and the clients that drive them."""

    playground: Playground
    emulator: EmulatorControl
    bot_url: str
    work_dir: Path
    processes: list[ChildProcess] = field(default_factory=list)

    def logs(self) -> str:
        """The end of every process's log, for a failing test's report."""
        return "\n".join(f"===== {child.name} ({child.log_file})\n{child.log_tail(60)}" for child in self.processes)


def graph_app_credentials() -> tuple[str, str]:
    """The demo org's Graph app (client id, secret): the bot uses it, and so may a test looking at calendars."""
    app = json.loads(DEMO_ORG_FILE.read_text())["apps"][0]
    return str(app["client_id"]), str(app["client_secret"])


async def _start_emulator(work_dir: Path, started: list[ChildProcess]) -> tuple[str, Path]:
    port = free_port()
    child = await ChildProcess.start(
        "emulator",
        [sys.executable, "-m", "emulator", "--port", str(port), "--data", str(work_dir / "emulator")],
        cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"},
        log_file=work_dir / "emulator.log", started=started,
    )

    async def printed_ca() -> bool:
        return "CA file:" in child.output()

    await child.wait_until(printed_ca, within_s=30)
    ca_file = Path(re.search(r"^CA file: (.+)$", child.output(), re.MULTILINE).group(1).strip())  # type: ignore[union-attr]
    return f"https://localhost:{port}", ca_file


async def _start_bot(work_dir: Path, emulator_url: str, ca_file: Path, session: aiohttp.ClientSession,
                     started: list[ChildProcess]) -> str:
    port = free_port()
    bot_url = f"http://localhost:{port}"
    client_id, client_secret = graph_app_credentials()
    # Every setting is given explicitly (empty where it must be empty), so a developer's .env cannot leak in.
    settings = {
        "PORT": str(port),
        "PUBLIC_BASE_URL": bot_url,
        "MicrosoftAppId": "",  # the Playground sends no Authorization header: local, unauthenticated mode
        "MicrosoftAppPassword": "",
        "MicrosoftAppType": "MultiTenant",
        "MicrosoftAppTenantId": "",
        "GRAPH_CLIENT_ID": client_id,
        "GRAPH_CLIENT_SECRET": client_secret,
        "AUTHORITY_HOST": emulator_url,
        "GRAPH_BASE_URL": f"{emulator_url}/v1.0",
        "AUTHORITY_CA_BUNDLE": str(ca_file),
        "DATABASE_URL": f"sqlite+aiosqlite:///{work_dir / 'rendezvous.db'}",
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ADMIN_USER_IDS": "",
        "RENDEZVOUS_DATA_DIR": str(work_dir / "bot-data"),
    }
    child = await ChildProcess.start(
        "bot", [sys.executable, "app.py"], cwd=PROJECT_ROOT,
        env={**os.environ, **settings, "PYTHONUNBUFFERED": "1"}, log_file=work_dir / "bot.log", started=started,
    )

    async def healthy() -> bool:
        return await _answers(session, f"http://127.0.0.1:{port}/healthz")

    await child.wait_until(healthy, within_s=30)
    return bot_url


async def _start_playground(work_dir: Path, bot_url: str, profile: OrgProfile, session: aiohttp.ClientSession,
                            started: list[ChildProcess]) -> str:
    cli = await asyncio.to_thread(ensure_playground_installed)
    requested_port = free_port()
    env = {
        **os.environ,
        # Both switches are needed: the flag alone leaves the telemetry SDK's own connections on.
        "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",
        "TEAMSAPPTESTER_BROWSER": "none",
        "TZ": profile.time_zone,
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(profile.config),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(work_dir / "playground-internal.log"),
    }
    child = await ChildProcess.start(
        "playground",
        [str(cli), "--port", str(requested_port), "--app-endpoint", f"{bot_url}/api/messages",
         "--channel-id", "msteams", "--disable-telemetry"],
        cwd=work_dir, env=env, log_file=work_dir / "playground.log", started=started,
    )
    # It silently takes another port when the requested one is busy; it prints the one it took.
    listening: dict[str, int] = {}

    async def pong() -> bool:
        found = re.search(r"Listening on (\d+)", child.output())
        if not found:
            return False
        listening["port"] = int(found.group(1))
        return await _answers(session, f"http://127.0.0.1:{listening['port']}/_debug/ping", "pong")

    await child.wait_until(pong, within_s=30)
    return f"http://localhost:{listening['port']}"


@contextlib.asynccontextmanager
async def running_stack(work_dir: Path, profile: OrgProfile = CONTOSO) -> AsyncIterator[Stack]:
    """Emulator, bot (fresh SQLite database in `work_dir`) and a Playground emulating `profile`'s
    organization, each on a free local port.

    Each process is stopped on the way out, also when starting a later one or the test itself failed.
    Logs stay in `work_dir`."""
    await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    processes: list[ChildProcess] = []
    # No single request of these tests takes long; a hang should fail the test, not stall the suite.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        try:
            emulator_url, ca_file = await _start_emulator(work_dir, processes)
            bot_url = await _start_bot(work_dir, emulator_url, ca_file, session, processes)
            playground_url = await _start_playground(work_dir, bot_url, profile, session, processes)
            playground = Playground(playground_url, session)
            await playground.open()
            try:
                yield Stack(playground, EmulatorControl(emulator_url, ca_file, session), bot_url, work_dir, processes)
            finally:
                await playground.close()
        finally:
            # The bot first: its last turn may still be posting to the Playground's connector after the
            # message a test waited for arrived, and it shuts down gracefully, finishing that turn while the
            # Playground and the emulator still answer. (Stopped after them, it retries into closed ports.)
            for child in sorted(processes, key=lambda child: child.name != "bot"):
                await child.stop()
