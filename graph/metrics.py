"""Graph's OpenTelemetry metrics, through the API only: they cost nothing until `observability` installs an SDK.

Labels never name a person: `operation` is the method and the path template (`POST /users/{id}/events`),
`status` the HTTP status or `timeout`/`connection`.
"""

from __future__ import annotations

from opentelemetry import metrics

_meter = metrics.get_meter("rendezvous.graph")

CALLS = _meter.create_counter(
    "rendezvous.graph.calls", unit="{call}",
    description="Graph HTTP exchanges (each retry counts) by operation and status")
THROTTLED = _meter.create_counter(
    "rendezvous.graph.throttled", unit="{response}", description="Graph 429 answers by operation")
THROTTLE_WAIT = _meter.create_histogram(
    "rendezvous.graph.throttle_wait", unit="s", description="Time spent waiting before retrying after a Graph 429")


def count_call(operation: str, status: int | str) -> None:
    CALLS.add(1, {"operation": operation, "status": str(status)})
    if status == 429:
        THROTTLED.add(1, {"operation": operation})


def record_throttle_wait(seconds: float) -> None:
    THROTTLE_WAIT.record(seconds)
