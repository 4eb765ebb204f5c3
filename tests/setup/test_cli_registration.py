"""The admin's path from zero to a working /sessions: `sessions-bot install`, `check` and `uninstall`, run as
the console script runs them, against the Mattermost stand-in over HTTP.

On sockets (``pytest.mark.sockets``): the console script builds its own Mattermost client from the
environment, as an admin's shell gives it, so the stand-in must be reachable at a real URL.
"""
from __future__ import annotations

import re
import socket
from typing import Callable

import pytest

from bot.sandbox import run_registered_command
from bot.sandbox.background import BackgroundServer
from bot.setup.cli import main
from bot.web.app import create_app
from bot.web.gate import action_key
from tests.support.settings import BOT_SECRET, bot_settings

pytestmark = pytest.mark.sockets

BOT_URL = "https://sessions-bot.example.com"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(world, mattermost, monkeypatch, capsys) -> Run:
    """Run ``sessions-bot <args>`` with the bot account's Mattermost settings (and ``env``) in the environment."""

    def run(*args: str, **env: str) -> tuple[int, str, str]:
        for name in ("SLASH_COMMAND_TOKENS", "BOT_SECRET", "BOT_PUBLIC_URL"):
            monkeypatch.delenv(name, raising=False)
        values = {"MATTERMOST_URL": mattermost.url, "MATTERMOST_TOKEN": world.bot_token, **env}
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return run


def printed_tokens(out: str) -> list[str]:
    return re.search(r"^SLASH_COMMAND_TOKENS=(.*)$", out, re.MULTILINE)[1].split(",")


def acme_commands(world) -> list[dict]:
    return world.team_commands(world.team_by_name("acme")["id"])


def test_install_registers_the_command_and_prints_its_token_for_slash_command_tokens(cli, world):
    status, out, _ = cli("install", "--team", "acme", "--url", BOT_URL)
    [command] = acme_commands(world)
    assert status == 0
    assert f"created /sessions on team acme → {BOT_URL}/slash/sessions (command {command['id']})" in out
    assert printed_tokens(out) == [command["token"]]
    assert "restart the bot" in out


def test_install_twice_leaves_exactly_one_command_with_the_same_token(cli, world):
    first = cli("install", "--team", "acme", "--url", BOT_URL)[1]
    status, out, _ = cli("install", "--team", "acme", "--url", BOT_URL, SLASH_COMMAND_TOKENS=printed_tokens(first)[0])
    assert status == 0 and "unchanged /sessions on team acme" in out
    assert len(acme_commands(world)) == 1
    assert printed_tokens(out) == printed_tokens(first)
    assert "restart the bot" not in out


def test_install_at_a_new_url_updates_the_command_in_place(cli, world):
    cli("install", "--team", "acme", "--url", BOT_URL)
    [before] = acme_commands(world)
    status, out, _ = cli("install", "--team", "acme", BOT_PUBLIC_URL="https://new-home.example.com")
    [after] = acme_commands(world)
    assert status == 0 and "updated /sessions on team acme → https://new-home.example.com/slash/sessions" in out
    assert (after["id"], after["token"]) == (before["id"], before["token"])
    assert after["url"] == "https://new-home.example.com/slash/sessions"


def test_install_keeps_tokens_already_configured_in_the_printed_line(cli):
    status, out, _ = cli("install", "--team", "acme", "--url", BOT_URL, SLASH_COMMAND_TOKENS="older-team-token")
    assert status == 0 and printed_tokens(out)[0] == "older-team-token" and len(printed_tokens(out)) == 2


def test_install_on_all_teams_covers_every_team_the_bot_is_in(cli, world):
    world.add_team("gamma", members=("alice",))  # the bot is not a member
    status, out, _ = cli("install", "--all-teams", "--url", BOT_URL)
    registered = {team["name"] for team in world.teams() if world.registered_command(team["id"], "sessions")}
    assert status == 0 and registered == {"acme", "beta"}
    assert len(printed_tokens(out)) == 2


def test_install_without_a_url_says_where_to_give_it(cli, world):
    status, _, err = cli("install", "--team", "acme")
    assert status == 2 and "give --url" in err and "BOT_PUBLIC_URL" in err
    assert acme_commands(world) == []


def test_install_on_an_unknown_team_says_what_to_check(cli):
    status, _, err = cli("install", "--team", "no-such-team", "--url", BOT_URL)
    assert status == 1 and "no team 'no-such-team' that the bot can see" in err


def test_install_with_a_token_lacking_manage_slash_commands_explains_the_permission(cli, world):
    status, _, err = cli("install", "--team", "acme", "--url", BOT_URL, MATTERMOST_TOKEN=world.token_of("alice"))
    assert status == 1 and "manage_slash_commands" in err
    assert acme_commands(world) == []


def test_install_without_mattermost_settings_names_the_missing_variables(cli, monkeypatch):
    monkeypatch.delenv("MATTERMOST_URL", raising=False)
    status, _, err = cli("install", "--team", "acme", "--url", BOT_URL, MATTERMOST_URL="")
    assert status == 3 and "MATTERMOST_URL" in err and "Traceback" not in err


def test_install_with_an_unreachable_mattermost_fails_cleanly(cli):
    status, _, err = cli("install", "--team", "acme", "--url", BOT_URL, MATTERMOST_URL=closed_port_url())
    assert status == 1 and "Mattermost did not answer" in err


def test_uninstall_removes_the_command_and_a_second_run_finds_nothing(cli, world):
    cli("install", "--team", "acme", "--url", BOT_URL)
    status, out, _ = cli("uninstall", "--team", "acme")
    assert status == 0 and "removed /sessions from team acme" in out and acme_commands(world) == []
    assert "there was no /sessions on team acme" in cli("uninstall", "--team", "acme")[1]
    assert "not found" in run_registered_command(world, "alice", "list").error.lower()


def test_uninstall_from_all_teams(cli, world):
    cli("install", "--all-teams", "--url", BOT_URL)
    assert cli("uninstall", "--all-teams")[0] == 0
    assert not any(world.registered_command(team["id"], "sessions") for team in world.teams())


# -- check -----------------------------------------------------------------------------------

def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_check_after_install_is_all_green_and_exits_zero(cli):
    token = printed_tokens(cli("install", "--all-teams", "--url", BOT_URL)[1])
    status, out, _ = cli("check", SLASH_COMMAND_TOKENS=",".join(token), BOT_SECRET=BOT_SECRET, BOT_PUBLIC_URL=BOT_URL)
    assert status == 0 and "✗" not in out
    assert out.count("✓ /sessions on team") == 2 and "edit_other_users" in out and "manage_system" in out


def test_neither_install_nor_check_ever_prints_the_secret_button_path(cli):
    """The button path is derived from BOT_SECRET and written only into buttons (nothing registers it): an
    operator's terminal or CI log never holds it."""
    installed = cli("install", "--all-teams", "--url", BOT_URL, BOT_SECRET=BOT_SECRET)
    token = printed_tokens(installed[1])
    checked = cli("check", SLASH_COMMAND_TOKENS=",".join(token), BOT_SECRET=BOT_SECRET, BOT_PUBLIC_URL=BOT_URL)
    assert installed[0] == checked[0] == 0
    assert not any(action_key(BOT_SECRET) in text for text in (*installed[1:], *checked[1:]))


def test_check_before_install_says_to_install_and_exits_one(cli):
    status, out, _ = cli("check", "--team", "acme", SLASH_COMMAND_TOKENS="x", BOT_SECRET=BOT_SECRET)
    assert status == 1
    assert "✗ /sessions on team acme is registered — run: sessions-bot install --team acme" in out


def test_check_reports_an_invalid_configuration_and_goes_on_with_mattermost(cli):
    status, out, _ = cli("check")
    assert status == 1
    assert out.splitlines()[0].startswith("✗ the bot's configuration is valid — SLASH_COMMAND_TOKENS: is required")
    assert "✓ Mattermost accepts MATTERMOST_TOKEN" in out


def test_check_with_a_rejected_token_says_to_make_a_new_one(cli):
    status, out, _ = cli("check", MATTERMOST_TOKEN="bogus-token-bogus-token-xx")
    assert status == 1 and "✗ Mattermost accepts MATTERMOST_TOKEN — create a new personal access token" in out


def test_check_with_mattermost_unreachable_says_to_check_the_url(cli):
    status, out, _ = cli("check", MATTERMOST_URL=closed_port_url())
    assert status == 1 and "— check MATTERMOST_URL and that this host can reach it" in out


# -- the whole path, as the README tells an admin -------------------------------------------

def test_installed_command_works_once_the_bot_has_the_printed_token(cli, world, mattermost):
    tokens: list[str] = []

    def build(url: str):
        status, out, _ = cli("install", "--team", "acme", "--url", url)
        assert status == 0
        tokens.extend(printed_tokens(out))
        return create_app(bot_settings(mattermost.url, world.bot_token, slash_command_tokens=",".join(tokens),
                                       bot_public_url=url))

    with BackgroundServer.knowing_its_url(build) as bot:
        result = run_registered_command(world, "alice", "list")
        status, out, _ = cli("check", "--team", "acme", SLASH_COMMAND_TOKENS=tokens[0], BOT_SECRET=BOT_SECRET,
                             BOT_PUBLIC_URL=bot.url)
    assert result.error is None and "Your sessions" in result.visible_text
    assert status == 0 and "✗" not in out
