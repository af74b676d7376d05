"""The environment `scripts/demo --playground` starts Microsoft 365 Agents Playground with.

The Playground reports its own process time zone (TZ) as the user's Teams time zone (clientInfo.timezone). The
demo starts it on Tokyo time while Adele Vance, the Playground's user (e2e/playground.yml), keeps her Outlook
working hours in Pacific time (emulator/demo_org.json): she is travelling, and the cards show whose clock the
times follow. PLAYGROUND_TZ picks another Teams zone.

    python -m demo.playground      prints the environment, one NAME=value a line (the script passes it to `env`)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TEAMS_TIME_ZONE = "Asia/Tokyo"
# Both switches: with only --disable-telemetry, the Playground's bundled telemetry still tries to reach outside hosts.
OFFLINE = {"APPLICATION_INSIGHTS_NO_STATSBEAT": "true", "TEAMSAPPTESTER_BROWSER": "none"}


class BadTimeZone(ValueError):
    """PLAYGROUND_TZ names no IANA time zone."""


def teams_time_zone(environ: Mapping[str, str]) -> str:
    """The zone the Playground's Teams client reports: PLAYGROUND_TZ, else Tokyo."""
    zone = environ.get("PLAYGROUND_TZ", "").strip() or DEFAULT_TEAMS_TIME_ZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        raise BadTimeZone(
            f"PLAYGROUND_TZ={zone!r} is not an IANA time zone; use a name such as Europe/Berlin or America/New_York"
        ) from None
    return zone


def playground_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables the Playground runs with: its time zone (the user's Teams zone) and the offline switches."""
    return {"TZ": teams_time_zone(environ), **OFFLINE}


def main() -> int:
    try:
        variables = playground_environment(os.environ)
    except BadTimeZone as problem:
        print(problem, file=sys.stderr)
        return 2
    for name, value in variables.items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
