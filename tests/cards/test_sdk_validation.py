"""Every card the bot can send, validated as Adaptive Cards 1.5 by the real Adaptive Cards SDK."""

from __future__ import annotations

import inspect

import pytest

from cards import admin, booking, common, group_chat
from tests.cards.conftest import PROBE_PREFIX
from tests.cards.probes import PROBES, Probe
from tests.cards.samples import all_samples, cards_by_name
from tests.cards.sdk_validator import SdkEvent, real_problems

SAMPLES = {sample.name: sample for sample in all_samples()}


def _public_builders() -> set[str]:
    return {
        f"{module.__name__}.{name}"
        for module in (common, booking, admin, group_chat)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if name.endswith("_card") and not name.startswith("_") and function.__module__ == module.__name__
    }


def test_every_card_builder_has_samples() -> None:
    covered = {f"{sample.builder.__module__}.{sample.builder.__name__}" for sample in SAMPLES.values()}
    assert _public_builders() - covered == set()


def test_the_sdk_reported_on_every_card(sdk_report: dict[str, list[SdkEvent]]) -> None:
    expected = set(SAMPLES) | {PROBE_PREFIX + probe.name for probe in PROBES}
    assert set(sdk_report) == expected


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_card_is_valid_adaptive_card_1_5(name: str, sdk_report: dict[str, list[SdkEvent]]) -> None:
    card = SAMPLES[name].card
    problems = [str(event) for event in real_problems(sdk_report[name], card)]
    assert problems == [], f"{name} ({SAMPLES[name].builder.__name__})"


@pytest.mark.parametrize("probe", PROBES, ids=[probe.name for probe in PROBES])
def test_the_sdk_catches_a_broken_card(probe: Probe, sdk_report: dict[str, list[SdkEvent]]) -> None:
    problems = real_problems(sdk_report[PROBE_PREFIX + probe.name], probe.card)
    assert probe.expected_event in {event.event for event in problems}, [str(event) for event in problems]


def test_people_picker_false_positives_are_raised_by_the_sdk_and_excused(
    sdk_report: dict[str, list[SdkEvent]],
) -> None:
    # The form without static colleagues has a ChoiceSet fed only by choices.data: the SDK objects twice,
    # Teams renders it fine. Both objections must really come from the SDK for the filter to mean anything.
    name = "booking_form_no_colleagues"
    raw = {(event.event, event.source_id) for event in sdk_report[name]}
    assert ("CollectionCantBeEmpty", "colleague") in raw
    assert ("UnsupportedProperty", "colleague") in raw
    assert real_problems(sdk_report[name], cards_by_name()[name]) == []
