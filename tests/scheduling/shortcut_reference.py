"""The booking shortcut's splitting as it was written before issue 9: regular expressions over the raw text.

Kept only as an oracle for tests/scheduling/test_shortcut_linear.py. On text whose whitespace is already
collapsed to single spaces these patterns are fast, and the token parser must agree with them there; on
raw text `_WINDOW` backtracks quadratically over long whitespace runs, which is why production no longer
uses them. The duration and window rules themselves are production's (one_length, resolve_window).
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from scheduling.durations import ShortcutParts, WindowWords, one_length, resolve_window
from scheduling.windows import TimeWindow, WindowError

_BOOK = re.compile(r"^\s*book\b(?:\s+(?:a\s+)?(?:meeting|call|slot|time))?", re.IGNORECASE)
_DATE = r"\d{4}-\d{2}-\d{2}"
_WINDOW = re.compile(
    rf"\s*\b(?:(?P<named>this week|next week|today|tomorrow)"
    rf"|(?:from|between)\s+(?P<first>{_DATE})\s+(?:to|and|until|till|-)\s+(?P<last>{_DATE})"
    rf"|on\s+(?P<single>{_DATE}))\s*$",
    re.IGNORECASE,
)
_WITH = re.compile(r"(?:^|\s)with\s+(?P<person>.+?)(?:\s+for\s+(?P<duration>.+))?$", re.IGNORECASE)


def reference_shortcut(text: str, now: datetime, tz: tzinfo) -> ShortcutParts:
    book = _BOOK.match(text)
    if not book:
        return ShortcutParts(None, None, None)
    rest = text[book.end():].strip()
    problems: list[str] = []
    window: TimeWindow | None = None
    window_match = _WINDOW.search(rest)
    if window_match:
        rest = rest[: window_match.start()].strip()
        words = WindowWords(named=(window_match.group("named") or "").lower() or None,
                            first=window_match.group("first") or window_match.group("single"),
                            last=window_match.group("last") or window_match.group("single"))
        try:
            window = resolve_window(words, now, tz)
        except WindowError as exc:
            problems.append(str(exc))
    person: str | None = None
    duration_texts: list[str] = []
    with_match = _WITH.search(rest)
    if with_match:
        person = with_match.group("person").strip() or None
        if with_match.group("duration"):
            duration_texts.append(with_match.group("duration"))
        rest = rest[: with_match.start()].strip()
    if rest:
        duration_texts.insert(0, re.sub(r"^for\s+", "", rest, flags=re.IGNORECASE))
    return ShortcutParts(one_length(duration_texts, problems), person, window, tuple(problems))
