"""Building the app package: what lands in the zip, and what the build refuses."""

from __future__ import annotations

import json
import logging
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from manifest.__main__ import EXIT_REFUSED, main
from manifest.icons import ACCENT_RGB, decode_png, encode_png
from manifest.package import PackageError, PackageOptions, build_package, render_manifest
from tests.manifest.conftest import BASE_URL, BOT_ID


def read_package(path: Path) -> tuple[list[str], dict[str, Any], dict[str, bytes]]:
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
        files = {name: package.read(name) for name in names}
    return names, json.loads(files["manifest.json"]), files


class TestPackageLayout:
    def test_zip_holds_exactly_the_manifest_and_two_icons_at_the_root(self, package_zip: Path) -> None:
        names, manifest, _ = read_package(package_zip)
        assert sorted(names) == ["color.png", "manifest.json", "outline.png"]
        assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}

    def test_icons_have_the_sizes_teams_requires(self, package_zip: Path) -> None:
        _, _, files = read_package(package_zip)
        color, outline = decode_png(files["color.png"]), decode_png(files["outline.png"])
        assert (color.width, color.height) == (192, 192)
        assert (outline.width, outline.height) == (32, 32)

    def test_outline_icon_is_white_on_transparent(self, package_zip: Path) -> None:
        _, _, files = read_package(package_zip)
        pixels = decode_png(files["outline.png"]).pixels()
        drawn = [pixel for pixel in pixels if pixel[3] > 0]
        assert drawn, "the outline icon is empty"
        assert all(pixel[:3] == (255, 255, 255) for pixel in drawn)
        assert any(pixel[3] == 0 for pixel in pixels), "the outline icon has no transparent background"

    def test_color_icon_is_opaque_and_in_the_accent_colour(self, package_zip: Path) -> None:
        _, manifest, files = read_package(package_zip)
        pixels = decode_png(files["color.png"]).pixels()
        assert all(pixel[3] == 255 for pixel in pixels)
        assert pixels[0][:3] == ACCENT_RGB
        assert manifest["accentColor"].lower() == "#{:02x}{:02x}{:02x}".format(*ACCENT_RGB)

    def test_ids_and_domain_are_filled_in(self, package_zip: Path) -> None:
        _, manifest, files = read_package(package_zip)
        assert "${{" not in files["manifest.json"].decode()
        assert manifest["id"] == BOT_ID
        assert manifest["bots"][0]["botId"] == BOT_ID
        assert manifest["webApplicationInfo"] == {"id": BOT_ID}
        assert manifest["validDomains"] == ["rendezvous.contoso.com"]
        assert manifest["developer"]["privacyUrl"] == f"{BASE_URL}/privacy"

    def test_bot_is_conversational_in_personal_team_and_group_chat(self, package_zip: Path) -> None:
        _, manifest, _ = read_package(package_zip)
        bot = manifest["bots"][0]
        assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
        assert bot["isNotificationOnly"] is False
        assert bot["supportsFiles"] is False

    def test_schema_version_matches_manifest_version(self, package_zip: Path) -> None:
        _, manifest, _ = read_package(package_zip)
        match = re.fullmatch(r"https://developer\.microsoft\.com/json-schemas/teams/v([\d.]+)/MicrosoftTeams\.schema\.json",
                             manifest["$schema"])
        assert match and match.group(1) == manifest["manifestVersion"]

    def test_texts_fit_teams_limits(self, package_zip: Path) -> None:
        _, manifest, _ = read_package(package_zip)
        assert 0 < len(manifest["name"]["short"]) <= 30
        assert 0 < len(manifest["description"]["short"]) <= 80
        assert 0 < len(manifest["description"]["full"]) <= 4000

    def test_same_inputs_give_the_same_package_bytes(self, package_zip: Path, tmp_path: Path) -> None:
        again = build_package(PackageOptions(app_id=BOT_ID, base_url=BASE_URL), tmp_path / "again.zip")
        assert again.read_bytes() == package_zip.read_bytes()


class TestOptions:
    def test_app_id_is_normalised_to_lower_case(self) -> None:
        manifest = render_manifest(PackageOptions(app_id=BOT_ID.upper(), base_url=BASE_URL))
        assert manifest["bots"][0]["botId"] == BOT_ID

    def test_separate_teams_app_id_and_graph_client(self) -> None:
        teams_app_id = "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a"
        graph_client = "11111111-2222-4333-8444-555555555555"
        manifest = render_manifest(
            PackageOptions(app_id=BOT_ID, base_url=BASE_URL, teams_app_id=teams_app_id, graph_client_id=graph_client)
        )
        assert manifest["id"] == teams_app_id
        assert manifest["bots"][0]["botId"] == BOT_ID
        assert manifest["webApplicationInfo"]["id"] == graph_client

    def test_http_base_url_allowed_only_for_a_local_package(self) -> None:
        manifest = render_manifest(PackageOptions(app_id=BOT_ID, base_url="http://localhost:3978", allow_http=True))
        assert manifest["validDomains"] == ["localhost"]

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            (PackageOptions(app_id="", base_url=BASE_URL), "bot app id is missing"),
            (PackageOptions(app_id="not-a-guid", base_url=BASE_URL), "must be a GUID"),
            (PackageOptions(app_id=BOT_ID + "0", base_url=BASE_URL), "must be a GUID"),
            (PackageOptions(app_id=BOT_ID, base_url="http://rendezvous.contoso.com"), "must be https"),
            (PackageOptions(app_id=BOT_ID, base_url="rendezvous.contoso.com"), "absolute https URL"),
            (PackageOptions(app_id=BOT_ID, base_url=BASE_URL, teams_app_id="x"), "Teams app id must be a GUID"),
        ],
    )
    def test_refusals(self, options: PackageOptions, message: str, tmp_path: Path) -> None:
        out = tmp_path / "rendezvous.zip"
        with pytest.raises(PackageError, match=message):
            build_package(options, out)
        assert not out.exists()

    def test_refuses_an_icon_of_the_wrong_size(self, tmp_path: Path) -> None:
        small = tmp_path / "small.png"
        small.write_bytes(encode_png(32, 32, [[(0, 0, 0, 255)] * 32] * 32))
        with pytest.raises(PackageError, match="is 32x32, Teams needs 192x192"):
            build_package(PackageOptions(app_id=BOT_ID, base_url=BASE_URL), tmp_path / "p.zip", color_icon=small)


class TestCommandLine:
    @pytest.fixture(autouse=True)
    def environment(self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
        # The process environment wins over any developer .env, so these pin what load_settings() sees.
        cleared = ("MicrosoftAppId", "GRAPH_CLIENT_ID", "MicrosoftAppTenantId", "ADMIN_USER_IDS", "AUTHORITY_CA_BUNDLE")
        for name in cleared:
            monkeypatch.setenv(name, "")
        monkeypatch.setenv("MicrosoftAppType", "MultiTenant")
        monkeypatch.setenv("PUBLIC_BASE_URL", BASE_URL)
        caplog.set_level(logging.INFO, logger="manifest")

    def test_defaults_come_from_the_bot_settings(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.setenv("MicrosoftAppId", BOT_ID)
        out = tmp_path / "from-settings.zip"
        assert main(["build", "--out", str(out)]) == 0
        _, manifest, _ = read_package(out)
        assert manifest["bots"][0]["botId"] == BOT_ID
        assert manifest["validDomains"] == ["rendezvous.contoso.com"]

    def test_missing_app_id_is_refused_with_one_line(self, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
        out = tmp_path / "none.zip"
        assert main(["build", "--out", str(out)]) == EXIT_REFUSED
        errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
        assert len(errors) == 1 and "app id is missing" in errors[0] and "\n" not in errors[0]
        assert not out.exists()

    def test_bad_app_id_option_is_refused(self, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
        assert main(["build", "--app-id", "12345", "--out", str(tmp_path / "bad.zip")]) == EXIT_REFUSED
        assert "must be a GUID" in caplog.text

    def test_default_http_base_url_needs_allow_http(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("PUBLIC_BASE_URL", "http://localhost:3978")
        out = tmp_path / "local.zip"
        assert main(["build", "--app-id", BOT_ID, "--out", str(out)]) == EXIT_REFUSED
        assert "--allow-http" in caplog.text
        assert main(["build", "--app-id", BOT_ID, "--allow-http", "--out", str(out)]) == 0
        assert out.is_file()

    def test_a_broken_unrelated_setting_does_not_block_explicit_options(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("PORT", "not-a-port")
        out = tmp_path / "explicit.zip"
        assert main(["build", "--app-id", BOT_ID, "--base-url", BASE_URL, "--out", str(out)]) == 0
        assert out.is_file()
