"""Log lines nobody can forge or flood, and the default level that keeps personal data out of them.

Much of what the bot logs comes from outside: a conversation id, an activity name, an exception's text.
`SafeFormatter` makes every record one bounded line (plus an indented traceback):

* control characters (newline, carriage return, ANSI escapes, Unicode line separators, bidi overrides)
  in the message and in each argument are written as escapes (`\\n`, `\\x1b`, `\\u2028`), so text from a
  request can never start a line of its own and pass for a record the bot wrote;
* each argument is cut at FIELD_LIMIT characters and the whole message at LINE_LIMIT;
* a traceback keeps its lines (it is for developers) but each continuation line starts with
  TRACEBACK_PREFIX, never with a timestamp; each is cut at LINE_LIMIT, the whole at TRACEBACK_LIMIT.

`configure_logging` gives the root logger its handler, with this formatter, and quiets the libraries
whose INFO lines carry personal data: httpx logs each request's URL, and a Graph URL names a mailbox
(`/users/{address}/calendar/...`) or an event id. They speak again at DEBUG, which is for diagnosis only.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# With several worker processes (serve.py) each line says which one wrote it.
FORMAT_WITH_PROCESS = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
FIELD_LIMIT = 256
LINE_LIMIT = 2048
TRACEBACK_LIMIT = 16_000
TRACEBACK_PREFIX = "    | "
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Their INFO lines name URLs, hence mailboxes and event ids (httpx: one line per request).
CHATTY_LIBRARIES = ("httpx", "httpcore")

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional overrides and
# isolates (which make a line read differently from what it holds).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_EXCEPT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(text: str, *, keep_newlines: bool = False) -> str:
    """The text with every control character written as a visible escape."""
    pattern = _CONTROL_EXCEPT_NEWLINE if keep_newlines else _CONTROL
    return pattern.sub(_escape_one, text)


def cap(text: str, limit: int) -> str:
    """At most `limit` characters (plus a marker saying how many were cut)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more chars]"


def safe_field(value: object, limit: int = FIELD_LIMIT) -> str:
    """One value as it may appear in a log line: escaped and at most `limit` characters (plus a marker)."""
    text = value if isinstance(value, str) else str(value)
    # Cut before escaping, so a 900 KB value costs no more than a short one.
    shown = escape_control(text[:limit])
    if len(text) <= limit and len(shown) <= limit:
        return shown
    return f"{shown[:limit]}…[cut, {len(text)} chars in all]"


def _safe_arg(value: Any) -> Any:
    # Numbers keep their type so %d and %.1f still work; everything else becomes a bounded, escaped string.
    if value is None or isinstance(value, bool | int | float):
        return value
    return safe_field(value)


class SafeFormatter(logging.Formatter):
    """A Formatter whose every record is one bounded line, with control characters escaped (module doc)."""

    def format(self, record: logging.LogRecord) -> str:
        clean = logging.makeLogRecord(record.__dict__)
        clean.msg = cap(escape_control(str(record.msg)), LINE_LIMIT)
        if isinstance(record.args, Mapping):
            clean.args = {key: _safe_arg(value) for key, value in record.args.items()}
        elif record.args:
            clean.args = tuple(_safe_arg(value) for value in record.args)
        clean.exc_text = None  # formatted again below from exc_info, through formatException
        clean.message = cap(clean.getMessage(), LINE_LIMIT)
        if self.usesTime():
            clean.asctime = self.formatTime(clean, self.datefmt)
        line = self.formatMessage(clean)
        extra = ""
        if clean.exc_info:
            extra = self.formatException(clean.exc_info)
        if clean.stack_info:
            extra = f"{extra}\n{self.formatStack(clean.stack_info)}" if extra else self.formatStack(clean.stack_info)
        if extra:
            bounded = cap(escape_control(extra, keep_newlines=True), TRACEBACK_LIMIT)
            line += "".join(f"\n{TRACEBACK_PREFIX}{cap(part, LINE_LIMIT)}" for part in bounded.split("\n"))
        return line


def configure_logging(level: str = "INFO", stream: TextIO | None = None, *,
                      with_process_id: bool = False) -> logging.Handler:
    """The bot's logging: one safe line per record (stderr unless told), libraries' URLs only at DEBUG.

    Returns the handler, so a test can capture exactly what `python app.py` would write and remove it after.
    """
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SafeFormatter(FORMAT_WITH_PROCESS if with_process_id else FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(numeric)
    quiet_chatty_libraries(numeric)
    return handler


def quiet_chatty_libraries(level: int) -> None:
    """httpx and httpcore speak at WARNING and above unless the bot itself runs at DEBUG."""
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
