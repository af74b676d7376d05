"""The OpenTelemetry SDK set up for Rendezvous; imported only when something will be exported
(`observability.configure_telemetry`).

Why the Azure Monitor *exporter* and not the `azure-monitor-opentelemetry` distro: the distro installs its own
global providers and a dozen instrumentations we do not use (Django, Flask, FastAPI, psycopg2, urllib…),
and its spans would not pass our scrubbing. The exporter plugs into the same providers as OTLP, so both
destinations get the same scrubbed spans and the same metrics.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.sqlalchemy import EngineTracer
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status
from sqlalchemy.engine import Engine

from config import ConfigError
from observability import AZURE_MONITOR, OTLP_ENDPOINTS
from observability.scrub import scrub_attributes, scrub_path, scrub_text

log = logging.getLogger(__name__)

SERVICE_NAME = "rendezvous"
HTTP_PROTOBUF = "http/protobuf"
GRPC = "grpc"
# Probes every few seconds would drown the traces that matter.
PROBE_PATHS = "healthz,readyz"


class ScrubbingSpanExporter(SpanExporter):
    """Hands the exporter a copy of each span with `observability.scrub`'s rules applied (in the export thread,
    off the request path)."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([scrubbed_span(span) for span in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def scrubbed_span(span: ReadableSpan) -> ReadableSpan:
    status = span.status
    if status.description:
        status = Status(status.status_code, scrub_text(status.description))
    return ReadableSpan(
        name=scrub_text(span.name), context=span.context, parent=span.parent, resource=span.resource,
        attributes=scrub_attributes(span.attributes),
        events=[Event(event.name, scrub_attributes(event.attributes), event.timestamp) for event in span.events],
        links=span.links, kind=span.kind, status=status, start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _protocol(environ: Mapping[str, str], signal: str) -> str:
    chosen = (environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL") or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
              or HTTP_PROTOBUF).strip().lower()
    if chosen not in (HTTP_PROTOBUF, GRPC):
        raise ConfigError(f"OTEL_EXPORTER_OTLP_PROTOCOL must be {HTTP_PROTOBUF} or {GRPC}, got {chosen!r}")
    return chosen


def _otlp_exporters(environ: Mapping[str, str]) -> tuple[SpanExporter, MetricExporter]:
    """OTLP exporters; endpoint, headers, timeout and TLS come from the standard OTEL_EXPORTER_OTLP_* variables,
    which the exporters read themselves."""
    span_protocol, metric_protocol = _protocol(environ, "TRACES"), _protocol(environ, "METRICS")
    span_exporter: SpanExporter
    metric_exporter: MetricExporter
    try:
        if span_protocol == GRPC:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpans
            span_exporter = GrpcSpans()
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpans
            span_exporter = HttpSpans()
        if metric_protocol == GRPC:
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetrics
            metric_exporter = GrpcMetrics()
        else:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetrics
            metric_exporter = HttpMetrics()
    except ImportError:
        raise ConfigError(
            "OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs opentelemetry-exporter-otlp-proto-grpc, which is not installed; "
            f"install it, or use {HTTP_PROTOBUF}"
        ) from None
    return span_exporter, metric_exporter


def _azure_monitor_exporters(connection_string: str) -> tuple[SpanExporter, MetricExporter]:
    from azure.monitor.opentelemetry.exporter import AzureMonitorMetricExporter, AzureMonitorTraceExporter

    try:
        return (AzureMonitorTraceExporter(connection_string=connection_string),
                AzureMonitorMetricExporter(connection_string=connection_string))
    except ValueError as exc:  # a malformed connection string
        raise ConfigError(f"{AZURE_MONITOR} is not a valid Application Insights connection string ({exc})") from None


async def _name_graph_operation(span: Any, request: Any) -> None:
    """httpx names a client span by its method only; the path template says which Graph call it was."""
    if span.is_recording():
        span.set_attribute("url.template", scrub_path(str(request.url.path)))


class Telemetry:
    """The process's tracer and meter providers and its instrumentations."""

    def __init__(self, exporters: Sequence[tuple[SpanExporter, MetricExporter]],
                 service_name: str = SERVICE_NAME) -> None:
        resource = Resource.create({"service.name": service_name})
        self.tracer_provider = TracerProvider(resource=resource)
        readers: list[MetricReader] = []
        for span_exporter, metric_exporter in exporters:
            self.tracer_provider.add_span_processor(BatchSpanProcessor(ScrubbingSpanExporter(span_exporter)))
            readers.append(PeriodicExportingMetricReader(metric_exporter))
        self.meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        trace.set_tracer_provider(self.tracer_provider)
        metrics.set_meter_provider(self.meter_provider)
        os.environ.setdefault("OTEL_PYTHON_AIOHTTP_SERVER_EXCLUDED_URLS", PROBE_PATHS)
        # aiohttp's instrumentation swaps web.Application for a subclass with its middleware: this must run
        # before the bot's Application is created.
        AioHttpServerInstrumentor().instrument()
        HTTPXClientInstrumentor().instrument(async_request_hook=_name_graph_operation)
        RequestsInstrumentor().instrument()  # msal talks to Entra ID, and botbuilder to the Bot Connector, with it
        self._sql_tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy")
        self._sql_connections = metrics.get_meter("opentelemetry.instrumentation.sqlalchemy").create_up_down_counter(
            "db.client.connections.usage", unit="connections",
            description="The number of connections that are currently in state described by the state attribute.")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Telemetry:
        exporters, destinations = [], []
        if any(environ.get(name, "").strip() for name in OTLP_ENDPOINTS):
            exporters.append(_otlp_exporters(environ))
            destinations.append("OTLP")
        connection_string = environ.get(AZURE_MONITOR, "").strip()
        if connection_string:
            exporters.append(_azure_monitor_exporters(connection_string))
            destinations.append("Azure Monitor")
        telemetry = cls(exporters, environ.get("OTEL_SERVICE_NAME", "").strip() or SERVICE_NAME)
        log.info("OpenTelemetry traces and metrics go to %s", " and ".join(destinations))
        return telemetry

    def instrument_database(self, engine: Engine) -> None:
        """Spans for this engine's statements (the SQL text with its placeholders, never the values)."""
        EngineTracer(self._sql_tracer, engine, self._sql_connections)

    def shutdown(self) -> None:
        """Exports what is still buffered; called when the app stops."""
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
