"""The demo directory and its generated calendars; `python -m emulator` as a separate process."""

from __future__ import annotations

import socket
import ssl
from datetime import date, timedelta
from pathlib import Path

import httpx

from emulator.org import Org
from emulator.server import Emulator
from emulator.state import EventStore, generate_calendars
from emulator.testing import emulator_in_thread, emulator_process
from tests.emulator.conftest import CONTOSO, EXTERNAL, GRACE_OUTSIDE_POLICY, OLIVIA_OOF


def test_demo_org_covers_the_scenarios() -> None:
    org = Org.load()
    contoso = org.tenant(CONTOSO)
    assert contoso is not None and len(org.tenants) == 2
    zones = {p.time_zone for p in contoso.people}
    assert {"India Standard Time", "Pacific Standard Time", "AUS Eastern Standard Time"} <= zones
    assert len(zones) >= 4
    assert sum(p.is_admin for p in contoso.people) in (1, 2)
    assert [p.mail for p in contoso.people if p.out_of_office_this_week] == [OLIVIA_OOF]
    app_id = org.apps[0].client_id
    outside = [p.mail for p in contoso.people if not contoso.mailbox_allowed_for_app(app_id, p.id)]
    assert outside == [GRACE_OUTSIDE_POLICY]
    assert org.person_anywhere(EXTERNAL) is None
    assert any(g.mail_enabled and g.security_enabled for g in contoso.groups)


def _calendar_of(store: EventStore, person_id: str, day: date) -> list[tuple[str, str, str]]:
    return sorted((e.start.isoformat(), e.end.isoformat(), e.show_as) for e in store.events_of(person_id)
                  if e.start.date() == day)


def test_generated_calendars_are_deterministic_per_day() -> None:
    org = Org.load()
    monday = date(2030, 3, 4)
    started_monday, started_tuesday = EventStore(), EventStore()
    generate_calendars(started_monday, org, monday)
    generate_calendars(started_tuesday, org, monday + timedelta(days=1))
    ben = "49893b47-f489-471d-9d8b-e98e8bbe424c"
    wednesday = monday + timedelta(days=2)
    assert _calendar_of(started_monday, ben, wednesday) == _calendar_of(started_tuesday, ben, wednesday)
    busy_days = {e.start.date() for e in started_monday.events_of(ben)}
    assert len(busy_days) >= 15  # weeks of meetings, not an empty calendar
    statuses = {e.show_as for p in org.tenants[0].people for e in started_monday.events_of(p.id)}
    assert {"busy", "tentative", "oof"} <= statuses


def test_emulator_in_a_thread_serves_synchronous_clients() -> None:
    with emulator_in_thread() as emu:
        with httpx.Client(verify=ssl.create_default_context(cafile=emu.ca_file), trust_env=False) as client:
            response = client.get(f"{emu.authority(CONTOSO)}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.json()["issuer"] == f"{emu.authority_host}/{CONTOSO}/v2.0"


def test_command_line_emulator_runs_as_a_process(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"https://localhost:{port}"
    with emulator_process(port, tmp_path / "certs") as ca_file:
        with httpx.Client(verify=ssl.create_default_context(cafile=ca_file), trust_env=False) as client:
            discovery = client.get(f"{base}/organizations/v2.0/.well-known/openid-configuration")
            # the levers work across processes through the control API
            client.put(f"{base}/_emulator/faults", json={"rules": [{"path": "/token", "status": 503}]})
            refused = client.post(f"{base}/{CONTOSO}/oauth2/v2.0/token", data={"grant_type": "client_credentials"})
            calls = client.get(f"{base}/_emulator/calls").json()
    assert discovery.status_code == 200
    assert discovery.json()["token_endpoint"] == f"{base}/organizations/oauth2/v2.0/token"
    assert refused.status_code == 503
    assert [(c["method"], c["status"]) for c in calls] == [("GET", 200), ("POST", 503)]
    assert (tmp_path / "certs" / "server.key").is_file()


def test_emulator_without_generated_calendars_starts_empty() -> None:
    emulator = Emulator(generate=False)
    assert all(not emulator.state.events_of(p.id) for t in emulator.org.tenants for p in t.people)
