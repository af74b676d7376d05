"""OpenTelemetry for Rendezvous: traces and metrics of the aiohttp server, httpx (Graph), requests (msal's calls
to Entra ID, the Bot Connector) and SQLAlchemy, plus the bot's own metrics (`observability/metrics.py`,
`graph/metrics.py`).

    telemetry = configure_telemetry()      # once per process, before the aiohttp Application is created
    if telemetry: telemetry.instrument_database(db.engine.sync_engine); ...; telemetry.shutdown()

Exported to an OTLP collector when `OTEL_EXPORTER_OTLP_ENDPOINT` (or a per-signal `..._TRACES_/..._METRICS_
ENDPOINT`) is set, over `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, the default; `grpc` when its exporter is
installed), and/or to Azure Monitor when `APPLICATIONINSIGHTS_CONNECTION_STRING` is set. With neither (or with
`OTEL_SDK_DISABLED=true`) nothing is set up: the SDK is not even imported, and the API calls left in the code
are no-ops. Every span passes `observability/scrub.py` before it is exported.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from observability.sdk import Telemetry

OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                  "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
AZURE_MONITOR = "APPLICATIONINSIGHTS_CONNECTION_STRING"

_configured: Telemetry | None = None


def telemetry_requested(environ: Mapping[str, str]) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in (*OTLP_ENDPOINTS, AZURE_MONITOR))


def configure_telemetry(environ: Mapping[str, str] | None = None) -> Telemetry | None:
    """Sets up the SDK once per process (global providers and instrumentations cannot be installed twice);
    None when no destination is configured. A bad setting raises config.ConfigError."""
    global _configured
    environ = os.environ if environ is None else environ
    if _configured is not None:
        return _configured
    if not telemetry_requested(environ):
        return None
    from observability.sdk import Telemetry  # the SDK is imported only when something will be exported

    _configured = Telemetry.from_environment(environ)
    return _configured
