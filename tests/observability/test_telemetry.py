"""OpenTelemetry as an operator turns it on: `python app.py` with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a collector.

The collector is a stub in this test's event loop that accepts OTLP/HTTP protobuf (POST /v1/traces and
/v1/metrics) and decodes it with opentelemetry-proto. The bot runs as its own process (the SDK installs
process-wide providers), against the Entra ID + Graph emulator and the Bot Connector stub.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from google.protobuf.message import Message
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from config import PROJECT_ROOT
from emulator.testing import running_emulator
from storage.database import Database
from tests.booking.conftest import (
    ADELE,
    BEN,
    EVERYONE,
    all_actions,
    answer_yes,
    book_buttons,
    card_of,
    day_form,
    meeting_day,
)
from tests.fault.test_crash_recovery import CrashWorld
from tests.harness import ConnectorStub, RunningBot
from tests.processes import BotProcess, bot_env, connector_server, free_port

SUBJECT = "Quarterly budget with the auditors"
SIGN_IN_CODE = "M.C507-sign-in-code-0451"
WAIT_SECONDS = 30.0


@dataclass
class CollectorStub:
    """An OTLP/HTTP collector that keeps what it is sent and wakes waiters on each delivery."""

    spans: list[Span] = field(default_factory=list)
    resource_attributes: list[KeyValue] = field(default_factory=list)
    metrics: list[ExportMetricsServiceRequest] = field(default_factory=list)
    requests: int = 0
    url: str = ""
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/traces", self._traces)
        app.router.add_post("/v1/metrics", self._metrics)
        return app

    async def _traces(self, request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest.FromString(await request.read())
        for resource_spans in export.resource_spans:
            self.resource_attributes.extend(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                self.spans.extend(scope_spans.spans)
        return await self._answer(ExportTraceServiceResponse())

    async def _metrics(self, request: web.Request) -> web.Response:
        self.metrics.append(ExportMetricsServiceRequest.FromString(await request.read()))
        return await self._answer(ExportMetricsServiceResponse())

    async def _answer(self, response: Message) -> web.Response:
        async with self._arrived:
            self.requests += 1
            self._arrived.notify_all()
        return web.Response(body=response.SerializeToString(), content_type="application/x-protobuf")

    async def wait_for(self, condition: Callable[[], Any]) -> Any:
        async with asyncio.timeout(WAIT_SECONDS), self._arrived:
            await self._arrived.wait_for(condition)
        return condition()

    def points(self, name: str) -> list[Any]:
        """Every data point of the metric called `name`, across all exports."""
        found: list[Any] = []
        for export in self.metrics:
            for resource_metrics in export.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        if metric.name == name:
                            found.extend(getattr(metric, metric.WhichOneof("data")).data_points)
        return found

    def data_points(self, name: str) -> list[dict[str, str]]:
        """The attributes of every data point of the metric called `name`."""
        return [{kv.key: _text(kv.value) for kv in point.attributes} for point in self.points(name)]


def _text(value: AnyValue) -> str:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return " ".join(_text(item) for item in value.array_value.values)
    return str(getattr(value, kind)) if kind else ""


def _attributes(span: Span) -> dict[str, str]:
    return {kv.key: _text(kv.value) for kv in span.attributes}


def _every_exported_value(collector: CollectorStub) -> Iterator[str]:
    """Span names, status messages, every attribute of spans, their events and resources, metric labels."""
    for span in collector.spans:
        yield span.name
        yield span.status.message
        yield from _attributes(span).values()
        for event in span.events:
            yield from (_text(kv.value) for kv in event.attributes)
    yield from (_text(kv.value) for kv in collector.resource_attributes)
    for export in collector.metrics:
        for resource_metrics in export.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    for point in getattr(metric, metric.WhichOneof("data")).data_points:
                        yield from (_text(kv.value) for kv in point.attributes)


@pytest.fixture
async def collector() -> AsyncIterator[CollectorStub]:
    stub = CollectorStub()
    runner = web.AppRunner(stub.app())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stub.url = f"http://127.0.0.1:{port}"
    try:
        yield stub
    finally:
        await runner.cleanup()


@pytest.fixture
async def world(database_url: str, tmp_path: Path, collector: CollectorStub) -> AsyncIterator[CrashWorld]:
    connector = ConnectorStub()
    for user in EVERYONE:
        connector.members[user.teams_user_id] = user.member_info()
    port = free_port()
    async with running_emulator(generate_calendars=False) as emu, connector_server(connector), \
            aiohttp.ClientSession() as session:
        env = {**bot_env(database_url, tmp_path, emu, port), "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
               "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
               # Export soon after each span and metric, so the test waits on the collector, not on a 60 s timer.
               "OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_METRIC_EXPORT_INTERVAL": "300"}
        process = BotProcess(env, f"http://127.0.0.1:{port}", tmp_path)
        bot = RunningBot(url=process.url, connector=connector, app=web.Application(), session=session)
        db = Database(database_url)
        try:
            await process.start(session)
            yield CrashWorld(emu, bot, connector, db, database_url, process)
        finally:
            await process.stop()
            await db.dispose()


async def test_a_booking_is_traced_through_server_graph_and_database_without_personal_data(
    world: CrashWorld, collector: CollectorStub
) -> None:
    await world.set_up_tenant()
    await world.meet(ADELE, BEN)
    # Graph throttles the first free/busy read once: the retry waits the Retry-After, and the metrics say so.
    world.emu.faults.throttle("/calendar/getSchedule", times=1, retry_after="0.2")
    card = await world.find_times(ADELE, day_form(BEN, meeting_day(), subject=SUBJECT))
    confirmation = card_of(await world.bot.execute(ADELE, "book", book_buttons(card)[0]))
    [event] = world.emu.created_events(ADELE.email)
    # A sign-in callback carries a code and a state in its query string: neither may reach a span.
    async with world.bot.session.get(f"{world.bot.url}/auth/signin?code={SIGN_IN_CODE}&state=unknown") as callback:
        assert callback.status >= 400
    cancel = next(a for a in all_actions(confirmation) if a.get("verb") == "cancelBooking")
    card_of(await answer_yes(world.bot, ADELE, cancel))  # Cancel asks first

    def booking_trace() -> list[Span]:
        """The spans of the trace whose server span answered the click that created the event."""
        creates = [s for s in collector.spans if s.kind == Span.SPAN_KIND_CLIENT
                   and _attributes(s).get("url.template", "").endswith("/events")
                   and _attributes(s).get("http.method", _attributes(s).get("http.request.method")) == "POST"]
        if not creates:
            return []
        trace = [s for s in collector.spans if s.trace_id == creates[0].trace_id]
        return trace if any(s.kind == Span.SPAN_KIND_SERVER for s in trace) else []

    trace = await collector.wait_for(booking_trace)
    [server] = [s for s in trace if s.kind == Span.SPAN_KIND_SERVER]
    assert server.name == "POST /api/messages"
    graph_calls = [s for s in trace if "url.template" in _attributes(s)]
    assert {_attributes(s)["url.template"] for s in graph_calls} >= {
        "/v1.0/users/{id}/calendar/getSchedule", "/v1.0/users/{id}/events"}, [_attributes(s) for s in graph_calls]
    assert any("db.system" in _attributes(s) or "db.system.name" in _attributes(s) for s in trace), \
        [s.name for s in trace]
    # Entra ID (msal, through requests) is traced too, in whichever turn first needed a token.
    assert any("/oauth2/v2.0/token" in _attributes(s).get("http.url", _attributes(s).get("url.full", ""))
               for s in collector.spans)

    await collector.wait_for(lambda: {"action": "cancelled", "tenant.id": ADELE.tenant_id}
                             in collector.data_points("rendezvous.bookings"))
    assert {"action": "created", "tenant.id": ADELE.tenant_id} in collector.data_points("rendezvous.bookings")
    assert {"kind": "action:book", "outcome": "ok", "tenant.id": ADELE.tenant_id} \
        in collector.data_points("rendezvous.turns")
    schedule = "POST /users/{id}/calendar/getSchedule"
    counted = collector.data_points("rendezvous.graph.calls")
    assert {"operation": "POST /users/{id}/events", "status": "201"} in counted
    assert {"operation": schedule, "status": "429"} in counted and {"operation": schedule, "status": "200"} in counted
    assert {"operation": schedule} in collector.data_points("rendezvous.graph.throttled")
    assert max(point.sum for point in collector.points("rendezvous.graph.throttle_wait")) >= 0.2
    assert any(point["kind"] == "action:book" for point in collector.data_points("rendezvous.turn.duration"))

    assert any(s.name == "GET /auth/signin" for s in collector.spans)
    secrets = {ADELE.email, BEN.email, ADELE.name, BEN.name, SUBJECT, event.id, event.immutable_id, SIGN_IN_CODE}
    for value in _every_exported_value(collector):
        assert "@" not in value, value
        assert not any(secret.lower() in value.lower() for secret in secrets), value


SETUP_PROBE = """
import json, sys
from aiohttp import web
original_application = web.Application
import app, config
from opentelemetry import trace
app.create_app(config.load_settings())
print(json.dumps({"sdk_imported": "opentelemetry.sdk" in sys.modules,
                  "tracer_provider": type(trace.get_tracer_provider()).__name__,
                  "server_instrumented": web.Application is not original_application}))
"""


@pytest.mark.parametrize(("destination", "expected"), [
    ({}, {"sdk_imported": False, "tracer_provider": "ProxyTracerProvider", "server_instrumented": False}),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"},
     {"sdk_imported": True, "tracer_provider": "TracerProvider", "server_instrumented": True}),
    ({"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
                                                "IngestionEndpoint=http://127.0.0.1:9/"},
     {"sdk_imported": True, "tracer_provider": "TracerProvider", "server_instrumented": True}),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_SDK_DISABLED": "true"},
     {"sdk_imported": False, "tracer_provider": "ProxyTracerProvider", "server_instrumented": False}),
], ids=["neither", "otlp", "azure-monitor", "sdk-disabled"])
def test_the_sdk_is_set_up_only_when_a_destination_is_configured(
    tmp_path: Path, destination: dict[str, str], expected: dict[str, Any]
) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "MicrosoftAppId": "",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", "RENDEZVOUS_DATA_DIR": str(tmp_path),
           "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true", **destination}
    completed = subprocess.run([sys.executable, "-c", SETUP_PROBE], cwd=PROJECT_ROOT, env=env, capture_output=True,
                               text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == expected


def test_an_otlp_protocol_the_bot_cannot_speak_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "MicrosoftAppId": "",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", "RENDEZVOUS_DATA_DIR": str(tmp_path),
           "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}
    completed = subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                               timeout=120, check=False)
    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines()[-1] == (
        "Configuration error: OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or grpc, got 'http/json'")
