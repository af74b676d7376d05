"""The offline Node validator, run for real: the built package passes, broken manifests fail for the right reasons."""

from __future__ import annotations

import json
import logging
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from manifest.__main__ import EXIT_INVALID, main
from manifest.package import TEMPLATE
from tests.manifest.conftest import Validate

Breakage = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Breakage:
    def apply(manifest: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node = manifest
        for key in parents:
            node = node[key]
        node[last] = value

    return apply


# name -> (what is broken, a fragment every expected error line must contain)
BROKEN: dict[str, tuple[Breakage, list[str]]] = {
    "bad_guid": (_set("id", "not-a-guid"), ["/id must match pattern"]),
    "long_short_name": (
        _set("name/short", "Rendezvous the meeting booker app"),
        ["/name/short must NOT have more than 30 characters"],
    ),
    "bad_accent_color": (_set("accentColor", "blue"), ["/accentColor must match pattern"]),
    "remote_schema": (
        _set("$schema", "https://example.com/teams/MicrosoftTeams.schema.json"),
        ["not a bundled Teams schema; refusing to download it"],
    ),
    "unbundled_version": (
        _set("$schema", "https://developer.microsoft.com/json-schemas/teams/v1.18/MicrosoftTeams.schema.json"),
        ["not a bundled Teams schema"],
    ),
    "version_mismatch": (_set("manifestVersion", "1.19"), ["/manifestVersion is \"1.19\" but $schema is version"]),
    "missing_icon": (_set("icons/outline", "nowhere.png"), ["/icons/outline file nowhere.png does not exist"]),
    "wrong_icon_size": (
        _set("icons/color", "outline.png"),
        ["/icons/color file outline.png is 32x32, must be 192x192"],
    ),
}


@pytest.fixture(scope="module")
def unpacked(package_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(package_zip) as package:
        package.extractall(folder)
    return folder


@pytest.fixture(scope="module")
def broken_results(
    unpacked: Path, node_validator: Validate, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[str]]:
    """Every broken variant validated in ONE node run (each beside copies of the real icons)."""
    paths = {}
    for name, (breakage, _) in BROKEN.items():
        folder = tmp_path_factory.mktemp(name)
        for icon in ("color.png", "outline.png"):
            shutil.copy(unpacked / icon, folder / icon)
        manifest = json.loads((unpacked / "manifest.json").read_text())
        breakage(manifest)
        (folder / "manifest.json").write_text(json.dumps(manifest))
        paths[name] = folder / "manifest.json"
    results = node_validator(list(paths.values()))
    return {name: results[str(path)] for name, path in paths.items()}


def test_built_package_validates(package_zip: Path, unpacked: Path, node_validator: Validate) -> None:
    results = node_validator([package_zip, unpacked, unpacked / "manifest.json"])
    assert results == {str(package_zip): [], str(unpacked): [], str(unpacked / "manifest.json"): []}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_manifest_is_rejected_with_the_right_message(name: str, broken_results: dict[str, list[str]]) -> None:
    errors = broken_results[name]
    assert errors, f"{name} was accepted"
    for fragment in BROKEN[name][1]:
        assert any(fragment in line for line in errors), f"{fragment!r} not in {errors}"


def test_localized_schema_url_uses_the_bundled_copy(unpacked: Path, node_validator: Validate, tmp_path: Path) -> None:
    manifest = json.loads((unpacked / "manifest.json").read_text())
    manifest["$schema"] = manifest["$schema"].replace("/json-schemas/", "/en-us/json-schemas/")
    for icon in ("color.png", "outline.png"):
        shutil.copy(unpacked / icon, tmp_path / icon)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert node_validator([tmp_path / "manifest.json"]) == {str(tmp_path / "manifest.json"): []}


def test_unfilled_template_is_rejected(node_validator: Validate) -> None:
    errors = node_validator([TEMPLATE])[str(TEMPLATE)]
    assert any("/bots/0/botId contains an unfilled placeholder" in line for line in errors)


def test_zip_without_a_root_manifest_is_rejected(node_validator: Validate, unpacked: Path, tmp_path: Path) -> None:
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as package:
        package.write(unpacked / "manifest.json", "app/manifest.json")
    errors = node_validator([nested])[str(nested)]
    assert errors == ["cannot read the manifest: the package has no manifest.json at the root of the zip"]


def test_validate_command_reports_errors_and_fails(
    node_validator: Validate, tmp_path: Path, unpacked: Path, caplog: pytest.LogCaptureFixture
) -> None:
    manifest = json.loads((unpacked / "manifest.json").read_text())
    manifest["accentColor"] = "#12345"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    caplog.set_level(logging.INFO, logger="manifest")
    assert main(["validate", str(tmp_path / "manifest.json")]) == EXIT_INVALID
    assert "/accentColor must match pattern" in caplog.text
