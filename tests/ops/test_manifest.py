"""Specification of the slash command manifest (``manifest/slash_command.json``, ``bot.ops.manifest``).

The rules are Mattermost's ``Command.IsValid`` (../shared/MATTERMOST.md §1.6), counted in UTF-8 bytes
as the server's Go ``len`` does, plus the bot's own: a lowercase trigger and method ``P``.
"""
from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from bot.ops.manifest import (
    MANIFEST_PATH,
    BadPublicURL,
    Manifest,
    ManifestError,
    load_manifest,
    load_manifest_or_exit,
    parse_manifest,
)
from bot.web.app import create_app
from bot.web.gate import action_key
from tests.support.settings import BOT_SECRET, bot_settings

TEAM_ID = "t" * 26


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest()


def problems_of(doc: Any) -> str:
    with pytest.raises(ManifestError) as raised:
        parse_manifest(doc)
    return str(raised.value)


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of the manifest with ``path`` (``a.b``) set to ``value`` (``...`` deletes it)."""
    doc = copy.deepcopy(document)
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return doc


# -- the repository's manifest -------------------------------------------------------------

def test_the_repository_manifest_is_valid_and_describes_sessions(manifest: Manifest) -> None:
    assert manifest.trigger == "sessions" and manifest.method == "P"
    assert manifest.url_path == "/slash/sessions" and manifest.actions_path == "/actions"
    assert manifest.auto_complete and manifest.auto_complete_hint.startswith("[list")
    assert manifest.bot_username == "sessionsbot" and "system_admin" in manifest.expected_roles
    assert [p.name for p in manifest.permissions] == ["edit_other_users", "manage_system", "create_post_ephemeral",
                                                      "read_user_access_token", "revoke_user_access_token",
                                                      "manage_others_bots"]
    assert [p.only_with_buttons for p in manifest.permissions] == [False, False, True, False, False, False]


def test_the_manifest_is_found_relative_to_the_package() -> None:
    assert MANIFEST_PATH == Path(__file__).resolve().parents[2] / "manifest" / "slash_command.json"
    assert load_manifest(MANIFEST_PATH) == load_manifest()


def test_the_bot_serves_the_command_and_clicks_at_the_manifest_paths(manifest: Manifest) -> None:
    moved = dataclasses.replace(manifest, url_path="/hooks/mattermost/sessions", actions_path="/hooks/mattermost/clicks")
    app = create_app(bot_settings("http://127.0.0.1:9", "bot-token", bot_public_url="https://bot.example.com/base"),
                     manifest=moved)
    post_routes = {rule.rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    assert post_routes == {"/hooks/mattermost/sessions", "/hooks/mattermost/clicks/<key>"}
    key = action_key(BOT_SECRET)
    assert app.extensions["sessions_bot"].action_url == "https://bot.example.com/base/hooks/mattermost/clicks/" + key


def test_by_default_the_bot_serves_the_repository_manifest_paths(manifest: Manifest) -> None:
    app = create_app(bot_settings("http://127.0.0.1:9", "bot-token"))
    post_routes = {rule.rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    assert post_routes == {manifest.url_path, manifest.actions_path + "/<key>"}


# -- what it sends to Mattermost -----------------------------------------------------------

def test_the_command_body_has_what_post_commands_requires_and_every_manifest_field(manifest: Manifest) -> None:
    body = manifest.command_body(TEAM_ID, "https://bot.example.com/slash/sessions")
    assert body == {
        "team_id": TEAM_ID, "trigger": "sessions", "method": "P", "url": "https://bot.example.com/slash/sessions",
        "display_name": manifest.display_name, "description": manifest.description, "auto_complete": True,
        "auto_complete_desc": manifest.auto_complete_desc, "auto_complete_hint": manifest.auto_complete_hint,
        "username": "sessions", "icon_url": "",
    }


@pytest.mark.parametrize("public_url", ["https://bot.example.com", "https://bot.example.com/", " https://bot.example.com "])
def test_the_command_url_is_the_public_url_plus_the_path(manifest: Manifest, public_url: str) -> None:
    assert manifest.command_url(public_url) == "https://bot.example.com/slash/sessions"
    assert manifest.actions_url(public_url, "k" * 32) == "https://bot.example.com/actions/" + "k" * 32


def test_a_public_url_under_a_sub_path_keeps_it(manifest: Manifest) -> None:
    assert manifest.command_url("http://10.0.0.5:8080/bots/") == "http://10.0.0.5:8080/bots/slash/sessions"


@pytest.mark.parametrize("public_url", ["bot.example.com", "ftp://bot.example.com", "https://", "https://b.example?x=1",
                                        "https://b.example#top", "https://b.example/" + "p" * 1024])
def test_a_public_url_mattermost_would_refuse_is_an_error(manifest: Manifest, public_url: str) -> None:
    with pytest.raises(BadPublicURL):
        manifest.command_url(public_url)


def test_differences_name_each_field_a_registered_command_has_wrong(manifest: Manifest) -> None:
    url = "https://bot.example.com/slash/sessions"
    registered = {**manifest.command_body(TEAM_ID, url), "id": "c" * 26, "token": "k" * 26, "creator_id": "u" * 26}
    assert manifest.differences(registered, url) == []
    drifted = {**registered, "url": "https://old.example.com/slash/sessions", "description": "old"}
    assert manifest.differences(drifted, url) == ["url", "description"]
    assert manifest.differences(drifted, None) == ["description"]


# -- Mattermost's rules (Command.IsValid) and the bot's ------------------------------------

@pytest.mark.parametrize(("path", "value", "problem"), [
    ("trigger", "", "trigger: must be 1 to 128 bytes long"),
    ("trigger", "s" * 129, "trigger: must be 1 to 128 bytes long"),
    ("trigger", "é" * 65, "trigger: must be 1 to 128 bytes long"),
    ("trigger", "/sessions", "trigger: must not start with '/'"),
    ("trigger", "my sessions", "trigger: must not contain spaces"),
    ("trigger", "my\tsessions", "trigger: must not contain spaces"),
    ("trigger", "Sessions", "trigger: must be lowercase"),
    ("method", "G", 'method: must be "P"'),
    ("display_name", "d" * 65, "display_name: must be at most 64 bytes"),
    ("description", "d" * 129, "description: must be at most 128 bytes"),
    ("description", "é" * 65, "description: must be at most 128 bytes"),
    ("icon_url", "icon.png", "icon_url: must be empty or an http(s) URL"),
    ("url_path", "slash/sessions", "url_path: must be a path starting with '/'"),
    ("actions_path", "/actions?x=1", "actions_path: must be a path starting with '/'"),
    ("bot_account.username", "", "bot_account.username: must not be empty"),
    ("bot_account.expected_roles", [], "bot_account.expected_roles: must name at least one role"),
    ("bot_account.expected_roles", ["system_user", ""], "bot_account.expected_roles: must list non-empty strings"),
])
def test_a_manifest_breaking_a_rule_is_refused_naming_the_rule(document: dict[str, Any], path: str, value: Any,
                                                               problem: str) -> None:
    assert problem in problems_of(changed(document, path, value))


@pytest.mark.parametrize(("trigger", "description"), [("s", "d" * 128), ("s" * 128, ""), ("é" * 64, "é" * 64)])
def test_limits_are_inclusive(document: dict[str, Any], trigger: str, description: str) -> None:
    doc = changed(changed(document, "trigger", trigger), "description", description)
    assert parse_manifest(doc).trigger == trigger


@pytest.mark.parametrize(("path", "value", "problem"), [
    ("trigger", ..., "trigger: missing"),
    ("auto_complete", "yes", "auto_complete: must be true or false"),
    ("description", 5, "description: must be a string"),
    ("bot_account", ..., "bot_account: missing"),
    ("bot_account.permissions", {"name": "x"}, "bot_account.permissions: must be a list"),
    ("bot_account.permissions", [{"for": "x"}], "bot_account.permissions[0].name: missing"),
    ("bot_account.permissions", [{"name": "a", "for": "x"}, {"name": "a", "for": "y"}],
     "bot_account.permissions: each needs a name, and no name twice"),
    ("auto_complet", True, "auto_complet: unknown key"),
    ("bot_account.rolez", [], "bot_account.rolez: unknown key"),
])
def test_a_malformed_manifest_is_refused_naming_the_key(document: dict[str, Any], path: str, value: Any,
                                                        problem: str) -> None:
    assert problem in problems_of(changed(document, path, value))


def test_every_problem_is_reported_at_once(document: dict[str, Any]) -> None:
    doc = changed(changed(changed(document, "trigger", "/Bad trigger"), "method", "G"), "display_name", 7)
    message = problems_of(doc)
    for problem in ("must not start with '/'", "must not contain spaces", "must be lowercase", 'method: must be "P"',
                    "display_name: must be a string"):
        assert problem in message


def test_a_manifest_that_is_not_an_object_is_refused() -> None:
    assert "the manifest: must be a JSON object" in problems_of(["sessions"])


def test_an_unreadable_or_non_json_file_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read the slash command manifest"):
        load_manifest(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{trigger: sessions}", encoding="utf-8")
    with pytest.raises(ManifestError, match="is not valid JSON"):
        load_manifest(broken)


def test_a_valid_manifest_elsewhere_loads(tmp_path: Path, document: dict[str, Any]) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps(changed(document, "trigger", "signins")), encoding="utf-8")
    assert load_manifest(other).trigger == "signins"


def test_a_broken_manifest_stops_the_start_with_one_clear_message(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "slash_command.json"
    broken.write_text('{"trigger": "two words"}', encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        load_manifest_or_exit(broken)
    err = capsys.readouterr().err
    assert stopped.value.code == 3
    assert err.startswith(f"sessions-bot: {broken} is not a valid slash command manifest:") and "Traceback" not in err
    assert "trigger: must not contain spaces" in err
