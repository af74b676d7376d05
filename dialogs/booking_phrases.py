"""Microsoft's Recognizers-Text date-time recognizer (the one Bot Framework uses) as the Reader that
scheduling.phrasing expects: short texts in, what they say about lengths, days and times out.

The model takes about two seconds to build (it compiles its English grammar) and is built once per
process, on the first request that needs it. A parse takes tens of milliseconds of pure CPU, so the
dialog runs it in a worker thread; one lock keeps the library, which was not written for threads, to one
caller at a time.
"""

from __future__ import annotations

import threading
from datetime import datetime, time
from functools import cache
from typing import Any

from recognizers_date_time import Culture, DateTimeRecognizer

from scheduling.phrasing import Reading, ReadingValue

_KINDS = frozenset({"duration", "date", "daterange", "datetime", "datetimerange", "time", "timerange"})
_LOCK = threading.Lock()


@cache
def _model() -> Any:
    return DateTimeRecognizer(Culture.English).get_datetime_model()


def recognize(text: str, local_now: datetime) -> list[Reading]:
    """The duration, date and time phrases in `text`, resolved against the organizer's local `local_now`."""
    with _LOCK:
        found = _model().parse(text, local_now)
    readings = []
    for match in found:
        kind = str(match.type_name).rsplit(".", 1)[-1]
        if kind not in _KINDS:
            continue
        values = tuple(value for value in (_value(raw) for raw in (match.resolution or {}).get("values", []))
                       if value is not None)
        # The recognizer's end offset is the last character's index.
        readings.append(Reading(kind, match.start, match.end + 1, text[match.start:match.end + 1], values))
    return readings


def _value(raw: dict[str, Any]) -> ReadingValue | None:
    timex = str(raw.get("timex", ""))
    kind = raw.get("type")
    try:
        if kind == "duration":
            return ReadingValue(timex, seconds=int(float(raw["value"])))
        if "value" in raw:
            return ReadingValue(timex, start=_moment(raw["value"]))
        if "start" in raw and "end" in raw:
            return ReadingValue(timex, start=_moment(raw["start"]), end=_moment(raw["end"]))
    except (KeyError, ValueError, OverflowError):  # a value the recognizer could not resolve to a number or date
        return None
    return None  # open ranges ("after Friday") are not used


def _moment(text: str) -> datetime:
    """A date, a date and time, or a time of day (on a placeholder day) as a naive local datetime."""
    if len(text) == 8 and text[2] == ":":
        return datetime.combine(datetime.min.date(), time.fromisoformat(text))
    return datetime.fromisoformat(text)
