"""Which date parser understands the way people type booking requests: the table in docs/PHRASES.md.

    python -m bench.phrase_parsers [--adversarial]

Runs every candidate that is installed on each phrase (after "book", as Rendezvous hands it over) with
"now" fixed at Wed 25 Nov 2026 09:00, and prints one Markdown row per phrase: what each parser found and
what it made of it. Candidates that are not installed are shown as such; the project installs only the
chosen one (Recognizers-Text), so the full comparison needs a scratch environment:

    python -m venv /tmp/parsers && /tmp/parsers/bin/pip install --pre recognizers-text-date-time==1.0.2a2 \\
        emoji==1.7.0 dateparser==1.5.0 parsedatetime==2.6 && /tmp/parsers/bin/python -m bench.phrase_parsers

`--adversarial` adds the seconds each parser takes on 500 characters (the request cap) of inputs built to
make regular expressions backtrack, and on the 60 characters Rendezvous actually hands the recognizer.
It only measures; nothing here is a threshold.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

NOW = datetime(2026, 11, 25, 9, 0)  # a Wednesday morning

PHRASES = [
    "30 min with Ben tomorrow at 3pm",
    "30 min with Ben on Friday",
    "30 min with Ben next Tuesday afternoon",
    "30 min with Ben in two weeks",
    "half an hour with Ben",
    "1h with Ben and Chloe",
    "with Ben between 8 and 10 December",
    "45m with Ben this Thursday morning",
    "an hour with Ben next week",
    "30 min with Ben this afternoon",
    "30 min with Ben on the 14th",
    "30 min with Ben Monday 9:30",
    "90 minutes with Ben",
    "2h with Ben at noon",
    "30 min with Ben end of next week",
    "1 hour with Ben on 3 December",
    "30 min with Ben tomorrow morning",
    "15 min with Ben Friday at 4:30pm",
    "30 min with Ben from 2026-12-01 to 2026-12-03",
    "30 min with Ben yesterday",
]

# The text lengths a request may have (scheduling.durations caps them); inputs that make regular
# expressions backtrack: long runs of one separator, digits, and repeated date words.
ADVERSARIAL = {
    "spaces": " " * 500,
    "tabs": "\t" * 500,
    "digits": "1" * 500,
    "digit, space": "1 " * 250,
    "digit, colon": "1:" * 250,
    "digit, dot": "1." * 250,
    "digit, dash": "1-" * 250,
    "'with '": "with " * 100,
    "'next '": "next " * 100,
    "'1 and '": "1 and " * 84,
    "'at 3pm '": "at 3pm " * 72,
}
WHEN_CAP = 60  # scheduling.durations.MAX_WHEN_CHARACTERS, repeated so this runs without the project's venv


def _day(value: datetime) -> str:
    text = value.strftime("%a %d %b")
    return text if not (value.hour or value.minute) else f"{text} {value:%H:%M}"


def recognizers() -> Callable[[str], str] | None:
    try:
        from recognizers_date_time import Culture, DateTimeRecognizer
    except ImportError:
        return None
    model = DateTimeRecognizer(Culture.English).get_datetime_model()

    def read(text: str) -> str:
        found = []
        for match in model.parse(text, NOW):
            values: list[dict[str, Any]] = match.resolution.get("values", [])
            kind = match.type_name.split(".")[-1]
            shown = []
            for value in values[-2:]:  # past and future readings come in that order; the future is the last
                if "value" in value and kind == "duration":
                    shown.append(f"{int(value['value']) // 60} min")
                elif "value" in value:
                    shown.append(value["value"])
                else:
                    shown.append(f"{value.get('start')} → {value.get('end')}")
            found.append(f"“{match.text}” {kind}: {' / '.join(shown)}")
        return "; ".join(found) or "—"

    return read


def dateparser_search() -> Callable[[str], str] | None:
    try:
        from dateparser.search import search_dates
    except ImportError:
        return None

    def read(text: str) -> str:
        found = search_dates(text, languages=["en"],
                             settings={"RELATIVE_BASE": NOW, "PREFER_DATES_FROM": "future"}) or []
        return "; ".join(f"“{part}” {_day(value)}" for part, value in found) or "—"

    return read


def parsedatetime_nlp() -> Callable[[str], str] | None:
    try:
        import parsedatetime
    except ImportError:
        return None
    calendar = parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)

    def read(text: str) -> str:
        found = calendar.nlp(text, sourceTime=NOW) or ()
        return "; ".join(f"“{part.strip()}” {_day(value)}" for value, _, _, _, part in found) or "—"

    return read


CANDIDATES: dict[str, Callable[[], Callable[[str], str] | None]] = {
    "Recognizers-Text 1.0.2a2": recognizers,
    "dateparser 1.5.0 search_dates": dateparser_search,
    "parsedatetime 2.6 nlp": parsedatetime_nlp,
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--adversarial", action="store_true", help="also time the backtracking inputs")
    options = parser.parse_args(argv)
    readers = {name: make() for name, make in CANDIDATES.items()}
    print("| phrase | " + " | ".join(readers) + " |")
    print("|---" * (len(readers) + 1) + "|")
    for phrase in PHRASES:
        cells = [_cell(read(phrase)) if read else "not installed" for read in readers.values()]
        print(f"| {phrase} | " + " | ".join(cells) + " |")
    if options.adversarial:
        print()
        print("| input (seconds: whole 500 characters / the first 60) | " + " | ".join(readers) + " |")
        print("|---" * (len(readers) + 1) + "|")
        for label, text in ADVERSARIAL.items():
            cells = []
            for read in readers.values():
                if read is None:
                    cells.append("not installed")
                    continue
                timings = []
                for sample in (text[:500], text[:WHEN_CAP]):
                    started = time.perf_counter()
                    read(sample)
                    timings.append(f"{time.perf_counter() - started:.2f}")
                cells.append(" / ".join(timings))
            print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
