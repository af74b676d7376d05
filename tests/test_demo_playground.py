"""`scripts/demo --playground` shows a travelling user: Teams on Tokyo time, Outlook working hours in Pacific time.

The script runs here for real, in a copy of the repository layout whose emulator, bot and Playground are stand-ins:
the stand-in Playground writes down the environment and arguments it was started with, so nothing is served.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from demo.playground import DEFAULT_TEAMS_TIME_ZONE
from graph.timezones import windows_to_iana

ROOT = Path(__file__).resolve().parent.parent

# Each stand-in does just enough for scripts/demo to reach the next step. The bot is the script's last, waited-on
# process: it returns once the Playground has written down how it was started (or after 30 s, and the test fails).
PYTHON_STAND_IN = f"""#!/usr/bin/env bash
case "$1 ${{2:-}}" in
  "-m demo.playground") exec {sys.executable} -m demo.playground ;;
  "-m emulator") echo "AUTHORITY_CA_BUNDLE=ca.pem" ;;
  "-c "*) echo "client-id client-secret" ;;
  "app.py "*) for _ in $(seq 1 300); do [ -f data/playground.started ] && exit 0; sleep 0.1; done; exit 1 ;;
esac
"""
PLAYGROUND_STAND_IN = """#!/usr/bin/env bash
{ echo "TZ=${TZ:-}"; printf 'arg=%s\\n' "$@"; } > ../playground.writing
mv ../playground.writing ../playground.started
"""


def _executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    _executable(tmp_path / "scripts" / "demo", (ROOT / "scripts" / "demo").read_text())
    _executable(tmp_path / "scripts" / "bootstrap", "#!/usr/bin/env bash\n")
    _executable(tmp_path / ".venv" / "bin" / "python", PYTHON_STAND_IN)
    _executable(tmp_path / "e2e" / "node_modules" / ".bin" / "agentsplayground", PLAYGROUND_STAND_IN)
    shutil.copy(ROOT / "e2e" / "playground.yml", tmp_path / "e2e" / "playground.yml")
    return tmp_path


def _run_demo(copy: Path, playground_tz: str | None) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if name != "PLAYGROUND_TZ"}
    environment["PYTHONPATH"] = str(ROOT)  # the real demo.playground, run by the stand-in python
    if playground_tz is not None:
        environment["PLAYGROUND_TZ"] = playground_tz
    return subprocess.run([str(copy / "scripts" / "demo"), "--playground"], cwd=copy, env=environment,
                          capture_output=True, text=True, timeout=60, check=False)


def _playground_started_with(copy: Path) -> dict[str, list[str]]:
    started: dict[str, list[str]] = {}
    for line in (copy / "data" / "playground.started").read_text().splitlines():
        name, _, value = line.partition("=")
        started.setdefault(name, []).append(value)
    return started


def _outlook_zone_of_the_playground_user() -> str:
    """The IANA zone of the Outlook working hours of e2e/playground.yml's current user, from the demo org."""
    playground = (ROOT / "e2e" / "playground.yml").read_text()
    current_user = re.search(r"^currentUser:\n(?:[ #].*\n)*?  email: (\S+)$", playground, re.MULTILINE)
    assert current_user, "e2e/playground.yml names no currentUser email"
    org = json.loads((ROOT / "emulator" / "demo_org.json").read_text())
    [person] = [person for tenant in org["tenants"] for person in tenant["people"]
                if person["mail"] == current_user.group(1)]
    assert person["display_name"] == "Adele Vance"
    return windows_to_iana(person["time_zone"])


def test_the_playground_reports_tokyo_while_adele_keeps_outlook_on_pacific_time(demo_copy: Path) -> None:
    finished = _run_demo(demo_copy, playground_tz=None)

    assert finished.returncode == 0, finished.stderr
    started = _playground_started_with(demo_copy)
    assert started["TZ"] == ["Asia/Tokyo"] == [DEFAULT_TEAMS_TIME_ZONE]
    assert "--disable-telemetry" in started["arg"]
    assert "in Teams on Asia/Tokyo time" in finished.stdout
    outlook_zone = _outlook_zone_of_the_playground_user()
    assert outlook_zone == "America/Los_Angeles"
    # The two clocks really differ, so the zone notice and Pacific times on the cards are visible in the demo.
    now = datetime(2026, 1, 15, 12, tzinfo=UTC)
    assert now.astimezone(ZoneInfo(outlook_zone)).utcoffset() != now.astimezone(ZoneInfo("Asia/Tokyo")).utcoffset()


def test_playground_tz_picks_another_teams_zone(demo_copy: Path) -> None:
    finished = _run_demo(demo_copy, playground_tz="Europe/Berlin")

    assert finished.returncode == 0, finished.stderr
    assert _playground_started_with(demo_copy)["TZ"] == ["Europe/Berlin"]
    assert "in Teams on Europe/Berlin time" in finished.stdout


def test_a_playground_tz_that_is_no_zone_stops_the_demo_before_anything_starts(demo_copy: Path) -> None:
    finished = _run_demo(demo_copy, playground_tz="Mars/Olympus_Mons")

    assert finished.returncode != 0
    assert "PLAYGROUND_TZ='Mars/Olympus_Mons' is not an IANA time zone" in finished.stderr
    assert not (demo_copy / "data").exists()  # neither the emulator nor the bot was started
