"""One Adaptive Cards SDK run per test session over every card sample and every probe.

The SDK needs Node.js and its pinned npm package (installed into tests/cards/validator on first use).
When they cannot be had, the SDK tests fail under CI=true and are skipped with the reason otherwise:
never a silent pass. The Teams-rule tests need no Node and always run.
"""

from __future__ import annotations

import os

import pytest

from tests.cards.probes import PROBES
from tests.cards.samples import cards_by_name
from tests.cards.sdk_validator import CardValidatorUnavailable, SdkEvent, run_sdk

PROBE_PREFIX = "probe:"


@pytest.fixture(scope="session")
def sdk_report() -> dict[str, list[SdkEvent]]:
    """SDK events by card name: samples under their own name, probes under "probe:<name>"."""
    batch = {**cards_by_name(), **{PROBE_PREFIX + probe.name: probe.card for probe in PROBES}}
    try:
        return run_sdk(batch)
    except CardValidatorUnavailable as exc:
        message = f"ADAPTIVE CARDS VALIDATOR UNAVAILABLE, cards were not checked with the SDK: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
