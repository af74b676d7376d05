"""docs/DEPLOY.md stays true: its offline commands run as written, and the Entra manifest it describes is the one
in the repository, in Microsoft's shape, with the permission ids the page documents."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import uuid
import zipfile
from pathlib import Path
from subprocess import PIPE, STDOUT
from typing import Any

import asyncpg
import pytest

from config import PROJECT_ROOT
from deploy.entra import TEMPLATE, manifest_for
from graph.tokens import DELEGATED_SCOPES
from node_packages import NodeUnavailable, require_node
from tests.deploy.toolkit import ensure_toolkit

DOC = PROJECT_ROOT / "docs" / "DEPLOY.md"
BUILD = PROJECT_ROOT / "deploy" / "build"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELLS = {"sh", "bash", "shell", "console"}
MICROSOFT_GRAPH = "00000003-0000-0000-c000-000000000000"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PUBLIC_BASE_URL = "https://rendezvous-test.azurewebsites.net"
BOT_ID = "0c4f3e1a-7b2d-4e6f-9a8b-1c2d3e4f5a6b"
GRAPH_CLIENT_ID = "7d9e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a"
COMMAND_TIMEOUT_SECONDS = 600  # a first run installs the manifest validator's npm packages


def fences() -> list[tuple[str, str]]:
    """(info string, body) of every fenced block of the page."""
    return [(info.strip(), body) for info, body in FENCE.findall(DOC.read_text(encoding="utf-8"))]


def offline_blocks() -> list[str]:
    return [body for info, body in fences() if info.split()[:2] == ["sh", "offline"]]


def documented_permissions() -> list[tuple[str, str, str]]:
    """(permission, Role|Scope, id) from the page's permission table."""
    row = re.compile(r"^\| `([\w.]+)` \| `(Role|Scope)` \([a-z]+\) \| `([0-9a-f-]{36})` \|", re.MULTILINE)
    rows = row.findall(DOC.read_text(encoding="utf-8"))
    return [(name, kind, permission_id) for name, kind, permission_id in rows]


def test_every_command_block_says_whether_it_needs_azure() -> None:
    shell_blocks = [info for info, _ in fences() if info.split()[:1] and info.split()[0] in SHELLS]
    assert shell_blocks, "the page has no commands"
    assert all(info.split()[1:2] in (["offline"], ["azure"]) for info in shell_blocks), shell_blocks
    assert len(offline_blocks()) >= 5


def _node_or_skip() -> None:
    try:
        require_node()
        ensure_toolkit()
    except NodeUnavailable as exc:
        message = f"Node.js or the Agents Toolkit CLI is unavailable, DEPLOY.md's offline commands not run: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_the_offline_commands_run_as_written(database_url: str, tmp_path: Path) -> None:
    _node_or_skip()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "CI": "true",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "MicrosoftAppId": BOT_ID, "GRAPH_CLIENT_ID": GRAPH_CLIENT_ID,
        # The documented URL form; Azure's server takes ssl=require, this test server has no TLS.
        "DATABASE_URL": f"{database_url}?ssl=prefer", "RENDEZVOUS_DATA_DIR": str(tmp_path / "data"),
    }
    toolkit_package_path = PROJECT_ROOT / "manifest" / "build" / "appPackage.ci.zip"
    shutil.rmtree(BUILD, ignore_errors=True)  # every file checked below is written by the commands
    toolkit_package_path.unlink(missing_ok=True)
    for block in offline_blocks():
        shell = await asyncio.create_subprocess_exec("bash", "-euo", "pipefail", "-c", block, cwd=PROJECT_ROOT, env=env,
                                                     stdout=PIPE, stderr=STDOUT)
        async with asyncio.timeout(COMMAND_TIMEOUT_SECONDS):
            output, _ = await shell.communicate()
        assert shell.returncode == 0, f"{block}\n{output.decode(errors='replace')}"

    filled = json.loads((BUILD / "entra-app-manifest.json").read_text(encoding="utf-8"))
    assert filled["web"]["redirectUris"] == [f"{PUBLIC_BASE_URL}/auth/signin", f"{PUBLIC_BASE_URL}/auth/consent"]
    assert json.loads((BUILD / "app-roles.json").read_text(encoding="utf-8")) == filled["appRoles"]
    with zipfile.ZipFile(BUILD / "rendezvous.zip") as package:
        teams_manifest = json.loads(package.read("manifest.json"))
    assert teams_manifest["bots"][0]["botId"] == BOT_ID
    assert teams_manifest["webApplicationInfo"]["id"] == GRAPH_CLIENT_ID
    with zipfile.ZipFile(BUILD / "rendezvous-src.zip") as source:
        assert {"app.py", "requirements.txt", "alembic.ini"} <= set(source.namelist())
    # The Agents Toolkit CLI packaged the same template with env/.env.ci's values.
    with zipfile.ZipFile(toolkit_package_path) as toolkit_package:
        assert {"manifest.json", "color.png", "outline.png"} == set(toolkit_package.namelist())
        assert json.loads(toolkit_package.read("manifest.json"))["bots"][0]["botId"] == BOT_ID
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        assert await connection.fetchval("SELECT count(*) FROM alembic_version") == 1
    finally:
        await connection.close()


def _manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    return manifest


def test_the_entra_manifest_has_microsofts_shape() -> None:
    manifest = _manifest()
    assert manifest["signInAudience"] == "AzureADMultipleOrgs"
    assert manifest["web"]["redirectUris"] == ["https://rendezvous.example.com/auth/signin",
                                               "https://rendezvous.example.com/auth/consent"]
    assert manifest["web"]["implicitGrantSettings"] == {"enableAccessTokenIssuance": False,
                                                        "enableIdTokenIssuance": False}
    [role] = manifest["appRoles"]
    assert set(role) == {"allowedMemberTypes", "description", "displayName", "id", "isEnabled", "origin", "value"}
    assert (role["value"], role["allowedMemberTypes"], role["isEnabled"]) == ("Rendezvous.Admin", ["User"], True)
    assert GUID.match(role["id"]) and str(uuid.UUID(role["id"])) == role["id"]
    [graph] = manifest["requiredResourceAccess"]
    assert graph["resourceAppId"] == MICROSOFT_GRAPH
    for access in graph["resourceAccess"]:
        assert set(access) == {"id", "type"} and GUID.match(access["id"]) and access["type"] in ("Role", "Scope")


def test_the_manifest_asks_for_exactly_the_documented_permissions() -> None:
    documented = documented_permissions()
    [graph] = _manifest()["requiredResourceAccess"]
    assert sorted((access["type"], access["id"]) for access in graph["resourceAccess"]) == \
        sorted((kind, permission_id) for _, kind, permission_id in documented)
    # What a member's sign-in asks for (graph/tokens.py) is what the registration declares as delegated.
    delegated = {name for name, kind, _ in documented if kind == "Scope"}
    assert delegated == {scope.rsplit("/", 1)[1] for scope in DELEGATED_SCOPES}
    assert "Rendezvous.Admin" in DOC.read_text(encoding="utf-8")


def test_a_base_url_fills_every_placeholder_url_and_http_is_refused() -> None:
    filled = json.dumps(manifest_for("https://bot.contoso.com"))
    assert "rendezvous.example.com" not in filled and "https://bot.contoso.com/auth/consent" in filled
    with pytest.raises(ValueError, match="https root"):
        manifest_for("http://bot.contoso.com")
