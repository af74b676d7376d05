"""Fixtures for the Teams app package: a built package, and the offline Node validator.

The validator needs Node.js and its pinned npm packages (installed into manifest/node_modules on
first use). When they cannot be had, validator tests fail under CI=true and are skipped with the
reason otherwise: never a silent pass.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from manifest.package import PackageOptions, build_package
from manifest.validation import ValidatorUnavailable, ensure_node_dependencies, require_node, validate_paths

BOT_ID = "5f0f3a1e-8d2b-4c55-9a61-0b1c2d3e4f50"
BASE_URL = "https://rendezvous.contoso.com"

Validate = Callable[[Sequence[Path]], dict[str, list[str]]]


@pytest.fixture(scope="session")
def package_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app package as a real deployment would build it."""
    out = tmp_path_factory.mktemp("package") / "rendezvous.zip"
    return build_package(PackageOptions(app_id=BOT_ID, base_url=BASE_URL), out)


@pytest.fixture(scope="session")
def node_validator() -> Validate:
    try:
        require_node()
        ensure_node_dependencies()
    except ValidatorUnavailable as exc:
        message = f"MANIFEST VALIDATOR UNAVAILABLE, manifest schema checks not run: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)

    def validate(paths: Sequence[Path]) -> dict[str, list[str]]:
        try:
            return validate_paths(paths)
        except ValidatorUnavailable as exc:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(str(exc))
            pytest.skip(f"MANIFEST VALIDATOR UNAVAILABLE: {exc}")

    return validate
