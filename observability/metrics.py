"""The bot's own OpenTelemetry metrics (turns, bookings), through the API only: no-ops until an SDK is set up.

Labels are bounded and impersonal: a turn's kind is a routing-table key or an activity type, its outcome
one of a few words; the tenant id is an organization, not a person.
"""

from __future__ import annotations

from opentelemetry import metrics

_meter = metrics.get_meter("rendezvous")

TURNS = _meter.create_counter("rendezvous.turns", unit="{turn}", description="Turns by kind and outcome")
TURN_DURATION = _meter.create_histogram(
    "rendezvous.turn.duration", unit="s", description="Time to answer a turn over HTTP, by kind and outcome")
BOOKINGS = _meter.create_counter(
    "rendezvous.bookings", unit="{booking}",
    description="Bookings by action: created, cancelled, moved")


def outcome_label(outcome: str) -> str:
    """"error 1A2B3C4D" -> "error": the reference is for the log line, not a metric label."""
    return outcome.split(" ", 1)[0] or "-"


def record_turn(kind: str, outcome: str, tenant_id: str | None, seconds: float) -> None:
    labels = {"kind": kind, "outcome": outcome_label(outcome), "tenant.id": tenant_id or "-"}
    TURNS.add(1, labels)
    TURN_DURATION.record(seconds, labels)


def count_booking(action: str, tenant_id: str) -> None:
    BOOKINGS.add(1, {"action": action, "tenant.id": tenant_id})
