"""Registering /sessions in Mattermost, removing it, and checking a deployment: ``bot.setup.install``
and ``bot.setup.check`` through :class:`RegistrationAPI` (the real mattermostdriver) over HTTP to the stand-in, whose traffic
the ``mattermost`` fixture checks against Mattermost's API description."""
from __future__ import annotations

import dataclasses
import socket
from typing import Callable

import pytest

from bot.mattermost.registration import RegistrationAPI
from bot.ops.manifest import Manifest, load_manifest
from bot.sandbox import World, run_registered_command
from bot.setup.check import CheckInputs, CheckLine, check, format_check
from bot.setup.install import (
    Change,
    RegistrationError,
    describe_failure,
    format_install,
    install,
    install_all_teams,
    uninstall,
)
from tests.support.settings import bot_settings
from tests.support.stack import Mode, StandIn, bot_api

PUBLIC_URL = "https://sessions-bot.example.com"
COMMAND_URL = PUBLIC_URL + "/slash/sessions"
#: check's lines: Mattermost answers, the token works, one per permission of the manifest, then the teams.
FIRST_TEAM_LINE = 2 + len(load_manifest().permissions)
FIX_PERMISSION = "give @sessionsbot a role that grants it, e.g. System Admin: mmctl roles system-admin sessionsbot"


@pytest.fixture
def manifest() -> Manifest:
    return load_manifest()


@pytest.fixture
def api_for(world: World, mattermost: StandIn, mode: Mode) -> Callable[[str], RegistrationAPI]:
    """A RegistrationAPI using ``username``'s token (the bot's for ``sessionsbot``)."""

    def build(username: str) -> RegistrationAPI:
        token = world.bot_token if username == "sessionsbot" else world.token_of(username)
        return bot_api(world, mattermost.url, mode, cls=RegistrationAPI, token=token)

    return build


@pytest.fixture
def api(api_for: Callable[[str], RegistrationAPI]) -> RegistrationAPI:
    """The bot's own RegistrationAPI (the seeded bot is a system admin)."""
    return api_for("sessionsbot")


def team_id(world: World, name: str) -> str:
    return world.team_by_name(name)["id"]


def registered(world: World, team: str = "acme") -> dict:
    return world.registered_command(team_id(world, team), "sessions")


def edit(world: World, team: str, **changes: object) -> None:
    """Someone edits the team's /sessions in Integrations → Slash Commands."""
    command = registered(world, team)
    world.update_command(command["id"], {**command, **changes})


def all_commands(world: World) -> list[dict]:
    return [command for team in world.teams() for command in world.team_commands(team["id"])]


def closed_port_url() -> str:
    """The URL of a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- install --------------------------------------------------------------------------------------

@pytest.mark.parametrize("by", ["name", "id"])
def test_install_creates_the_command_on_a_team_given_by_name_or_id_with_every_manifest_field(api, manifest, world, by):
    acme = team_id(world, "acme")
    result = install(api, manifest, "acme" if by == "name" else acme, PUBLIC_URL + "/")

    stored = registered(world)
    assert result.change is Change.CREATED and result.created
    assert (result.team.id, result.team.label) == (acme, "acme" if by == "name" else acme)
    assert result.url == PUBLIC_URL + manifest.url_path
    assert (result.command_id, result.url, result.token) == (stored["id"], stored["url"], stored["token"])
    body = manifest.command_body(acme, COMMAND_URL)
    assert {key: stored[key] for key in body} == body
    assert stored["creator_id"] == world.bot_user_id
    assert all_commands(world) == [stored]
    assert len(world.calls("POST", r"^/api/v4/commands$")) == 1


def test_installing_twice_leaves_one_command_unchanged_with_the_same_token(api, manifest, world):
    first = install(api, manifest, "acme", PUBLIC_URL)
    second = install(api, manifest, "acme", PUBLIC_URL)

    assert second.change is Change.UNCHANGED and not second.created
    assert (second.command_id, second.token, second.url) == (first.command_id, first.token, first.url)
    assert len(all_commands(world)) == 1
    assert len(world.calls("POST", r"^/api/v4/commands$")) == 1 and world.calls("PUT", r"^/api/v4/commands/") == []


def test_installing_with_another_public_url_moves_the_command_in_place(api, manifest, world):
    first = install(api, manifest, "acme", "https://old-host.example.com")
    moved = install(api, manifest, "acme", PUBLIC_URL)

    assert moved.change is Change.UPDATED
    assert (moved.command_id, moved.token, moved.url) == (first.command_id, first.token, COMMAND_URL)
    assert [c["url"] for c in all_commands(world)] == [COMMAND_URL]


@pytest.mark.parametrize("changes", [
    {"description": "edited by hand"},
    {"display_name": "Old name", "auto_complete": False},
    {"url": "https://elsewhere.example.com/hook"},
    {"method": "G"},
    {"auto_complete_hint": "", "username": "someone"},
], ids=lambda changes: "+".join(changes))
def test_install_brings_a_drifted_command_back_to_the_manifest_in_place(api, manifest, world, changes):
    first = install(api, manifest, "acme", PUBLIC_URL)
    edit(world, "acme", **changes)

    again = install(api, manifest, "acme", PUBLIC_URL)

    assert again.change is Change.UPDATED
    assert (again.command_id, again.token) == (first.command_id, first.token)
    stored = registered(world)
    body = manifest.command_body(stored["team_id"], COMMAND_URL)
    assert {key: stored[key] for key in body} == body
    assert stored["creator_id"] == world.bot_user_id and len(all_commands(world)) == 1


def test_install_all_teams_covers_every_team_of_the_bot_and_no_other(api, manifest, world):
    world.add_team("gamma", members=("alice",), admins=("sysadmin",))

    results = install_all_teams(api, manifest, PUBLIC_URL)

    assert sorted(r.team.id for r in results) == sorted([team_id(world, "acme"), team_id(world, "beta")])
    assert all(r.change is Change.CREATED and r.url == COMMAND_URL for r in results)
    assert sorted(r.token for r in results) == sorted(registered(world, t)["token"] for t in ("acme", "beta"))
    assert world.team_commands(team_id(world, "gamma")) == []
    assert [r.change for r in install_all_teams(api, manifest, PUBLIC_URL)] == [Change.UNCHANGED] * 2


def test_a_bot_in_no_team_is_told_to_join_one(manifest, mattermost, world, mode):
    lone = world.add_user("lonebot", "system_user system_admin", is_bot=True, join_team=False)
    api = bot_api(world, mattermost.url, mode, cls=RegistrationAPI, token=world.add_access_token(lone["id"]))

    with pytest.raises(RegistrationError) as caught:
        install_all_teams(api, manifest, PUBLIC_URL)
    lines = check(api, manifest, CheckInputs(mattermost.url, PUBLIC_URL))

    assert str(caught.value) == ("the bot is a member of no team: add @sessionsbot to the teams that should have "
                                 "/sessions")
    assert lines[FIRST_TEAM_LINE:] == [CheckLine(False, "the bot is a member of a team",
                                   "add @sessionsbot to every team that should have /sessions")]
    assert all_commands(world) == []
    # Mattermost answers this with a broken body ("[" then its no-channels error), a departure from its own API
    # description that the contract check would report against the stand-in's faithful copy.
    world.exchanges[:] = [e for e in world.exchanges if e.path != "/api/v4/users/me/channels"]


@pytest.mark.parametrize("user, team", [
    ("sessionsbot", "no-such-team"),
    ("sessionsbot", "Not A Team!"),
    ("sessionsbot", "abcdefghijklmnopqrstuvwxyz"),  # shaped like a team id, but no team has it
    ("alice", "beta"),  # exists, but alice is not a member
])
def test_install_or_uninstall_on_a_team_the_caller_cannot_see_says_how_to_name_it(api_for, manifest, world, user,
                                                                                   team):
    with pytest.raises(RegistrationError, match="that the bot can see"):
        uninstall(api_for(user), manifest, team)
    with pytest.raises(RegistrationError) as caught:
        install(api_for(user), manifest, team, PUBLIC_URL)

    assert str(caught.value) == (f"Mattermost has no team {team!r} that the bot can see: use the team's name as in "
                                 "its URL (or its id), and make sure the bot is a member")
    assert all_commands(world) == []


@pytest.mark.parametrize("operation", ["install", "uninstall"])
def test_an_account_without_manage_slash_commands_is_told_it_needs_it(api, api_for, manifest, world, operation):
    install(api, manifest, "acme", PUBLIC_URL)
    before = all_commands(world)

    with pytest.raises(RegistrationError) as caught:
        if operation == "install":
            install(api_for("alice"), manifest, "acme", "https://elsewhere.example.com")
        else:
            uninstall(api_for("alice"), manifest, "acme")

    assert "does not let the bot manage slash commands on team acme" in str(caught.value)
    assert "manage_slash_commands" in str(caught.value)
    assert all_commands(world) == before


def test_a_team_admin_without_system_roles_may_install_on_their_team(api_for, manifest, world):
    world.add_team("gamma", admins=("alice",))

    result = install(api_for("alice"), manifest, "gamma", PUBLIC_URL)

    assert result.created and registered(world, "gamma")["creator_id"] == world.user_by_username("alice")["id"]


def test_a_trigger_taken_by_a_command_the_bot_cannot_see_gets_the_duplicate_trigger_advice(api, manifest, world):
    # Built-in commands never appear in the custom-command listing, so only the create call finds the clash.
    taken = dataclasses.replace(manifest, trigger="logout")

    with pytest.raises(RegistrationError) as caught:
        install(api, taken, "acme", PUBLIC_URL)

    assert str(caught.value).startswith("/logout is taken on team acme by a command the bot cannot see")
    assert "change the trigger in the manifest" in str(caught.value)
    assert [e.status for e in world.calls("POST", r"^/api/v4/commands$")] == [400]
    assert all_commands(world) == []


# --- uninstall ------------------------------------------------------------------------------------

@pytest.mark.parametrize("by", ["name", "id"])
def test_uninstall_removes_only_that_teams_command_and_a_second_one_finds_nothing(api, manifest, world, by):
    install_all_teams(api, manifest, PUBLIC_URL)
    team = "acme" if by == "name" else team_id(world, "acme")

    assert uninstall(api, manifest, team) is True
    assert registered(world, "acme") is None and registered(world, "beta") is not None
    assert uninstall(api, manifest, team) is False

    typed = run_registered_command(world, "alice", "list")
    assert typed.error == ("Command with a trigger of 'sessions' not found. To send a message beginning with \"/\", "
                           "try adding an empty space at the beginning of the message.")
    assert typed.visible_text is None


# --- end to end -----------------------------------------------------------------------------------

def test_a_user_runs_the_installed_command_against_the_bot_with_the_printed_token(api, manifest, world, make_bot):
    placeholder = install(api, manifest, "acme", "https://not-deployed-yet.example.com")
    bot = make_bot(slash_command_tokens=placeholder.token)

    moved = install(api, manifest, "acme", bot.url)
    assert moved.change is Change.UPDATED and moved.token == placeholder.token
    assert "restart" not in format_install([moved], known_tokens=[placeholder.token])

    typed = run_registered_command(world, "alice", "list")

    assert typed.status == 200 and typed.error is None and typed.ephemeral
    alice = world.user_by_username("alice")["id"]
    assert typed.visible_text.startswith(f"#### Your sessions ({len(world.sessions_of(alice))})")


# --- check ----------------------------------------------------------------------------------------

def run_check(api: RegistrationAPI, manifest: Manifest, mattermost: StandIn, *,
              public_url: str | None = PUBLIC_URL, tokens: tuple[str, ...] = (),
              teams: tuple[str, ...] = ("acme",)) -> list[CheckLine]:
    return check(api, manifest, CheckInputs(mattermost.url, public_url, tokens, teams))


def test_check_when_mattermost_does_not_answer_stops_at_the_first_line(manifest):
    url = closed_port_url()
    api = RegistrationAPI(bot_settings(url, "a-token-never-sent"))

    lines = check(api, manifest, CheckInputs(url, PUBLIC_URL))

    fix = "check MATTERMOST_URL and that this host can reach it (the connection failed)"
    assert lines == [CheckLine(False, f"Mattermost answers at {url}", fix)]
    assert format_check(lines) == f"✗ Mattermost answers at {url} — {fix}"


def test_check_with_a_rejected_token_says_to_make_a_new_one(manifest, mattermost, world, mode):
    api = bot_api(world, mattermost.url, mode, cls=RegistrationAPI, token="bogustoken0000000000000000")

    lines = run_check(api, manifest, mattermost)

    fix = "create a new personal access token for the bot account (@sessionsbot) and set MATTERMOST_TOKEN to it"
    assert lines == [CheckLine(True, f"Mattermost answers at {mattermost.url}"),
                     CheckLine(False, "Mattermost accepts MATTERMOST_TOKEN", fix)]
    assert format_check(lines).splitlines() == [f"✓ Mattermost answers at {mattermost.url}",
                                                f"✗ Mattermost accepts MATTERMOST_TOKEN — {fix}"]


@pytest.mark.parametrize("public_url", [None, PUBLIC_URL], ids=["no buttons", "buttons"])
def test_check_names_each_permission_a_plain_user_bot_lacks(api, manifest, mattermost, world, public_url):
    world.set_roles("sessionsbot", "system_user")

    lines = run_check(api, manifest, mattermost, public_url=public_url)

    if public_url is None:
        ephemeral = CheckLine(True, "create_post_ephemeral is not needed while BOT_PUBLIC_URL is unset (no buttons)")
    else:
        ephemeral = CheckLine(False, "the bot holds create_post_ephemeral, to show new buttons after a click",
                              FIX_PERMISSION)
    assert lines[1:5] == [
        CheckLine(True, "Mattermost accepts MATTERMOST_TOKEN (it is @sessionsbot's)"),
        CheckLine(False, "the bot holds edit_other_users, to list and sign out other users' sessions", FIX_PERMISSION),
        CheckLine(False, "the bot holds manage_system, to act on system admins' sessions", FIX_PERMISSION),
        ephemeral,
    ]
    assert all(not line.ok for line in lines[5:FIRST_TEAM_LINE])  # the token permissions: system_admin only
    assert lines[FIRST_TEAM_LINE].what == "the bot can manage slash commands on team acme" and not lines[FIRST_TEAM_LINE].ok
    assert "manage_slash_commands" in lines[FIRST_TEAM_LINE].fix and len(lines) == FIRST_TEAM_LINE + 1
    assert (f"✗ the bot holds manage_system, to act on system admins' sessions — {FIX_PERMISSION}"
            in format_check(lines).splitlines())


def test_check_when_the_command_is_not_registered_says_to_install_it(api, manifest, mattermost):
    lines = run_check(api, manifest, mattermost)

    fix = "run: sessions-bot install --team acme"
    assert all(line.ok for line in lines[:5])
    assert lines[FIRST_TEAM_LINE:] == [CheckLine(False, "/sessions on team acme is registered", fix)]
    assert format_check(lines).splitlines()[-1] == f"✗ /sessions on team acme is registered — {fix}"


def test_check_when_the_command_points_at_another_url_says_install_updates_it(api, manifest, mattermost):
    token = install(api, manifest, "acme", "https://old-host.example.com").token

    lines = run_check(api, manifest, mattermost, tokens=(token,))

    fix = ("it points at https://old-host.example.com/slash/sessions; "
           "run: sessions-bot install --team acme (updates it in place)")
    assert lines[FIRST_TEAM_LINE:] == [CheckLine(False, f"/sessions on team acme points at {COMMAND_URL}", fix),
                         CheckLine(True, "the token of /sessions on team acme is in SLASH_COMMAND_TOKENS")]
    assert f"✗ /sessions on team acme points at {COMMAND_URL} — {fix}" in format_check(lines)


def test_check_when_the_command_drifted_names_the_fields(api, manifest, mattermost, world):
    token = install(api, manifest, "acme", PUBLIC_URL).token
    edit(world, "acme", description="edited by hand", auto_complete=False)

    lines = run_check(api, manifest, mattermost, tokens=(token,))

    assert lines[FIRST_TEAM_LINE] == CheckLine(False, "/sessions on team acme matches the manifest",
                                 "it differs in description, auto_complete; run: sessions-bot install --team acme")
    assert lines[FIRST_TEAM_LINE + 1].ok


def test_check_when_the_token_is_not_configured_says_where_to_get_it(api, manifest, mattermost):
    install(api, manifest, "acme", PUBLIC_URL)

    lines = run_check(api, manifest, mattermost, tokens=("sometokenofanotherteam0000",))

    assert lines[FIRST_TEAM_LINE] == CheckLine(True, f"/sessions on team acme is registered and points at {COMMAND_URL}")
    fix = "add the token that `sessions-bot install --team acme` prints"
    assert lines[FIRST_TEAM_LINE + 1] == CheckLine(False, "the token of /sessions on team acme is in SLASH_COMMAND_TOKENS", fix)
    assert format_check(lines).splitlines()[-1] == f"✗ {lines[FIRST_TEAM_LINE + 1].what} — {fix}"


@pytest.mark.parametrize("public_url", [PUBLIC_URL, None], ids=["public url", "no public url"])
def test_check_of_a_working_deployment_is_all_green(api, manifest, mattermost, world, public_url):
    tokens = ",".join(r.token for r in install_all_teams(api, manifest, PUBLIC_URL))
    settings = bot_settings(mattermost.url, world.bot_token, bot_public_url=public_url, slash_command_tokens=tokens)

    lines = check(api, manifest, CheckInputs.from_settings(settings))

    assert all(line.ok and line.fix == "" for line in lines)
    assert len(lines) == 2 + len(manifest.permissions) + 2 * 2  # reached, token, permissions, then 2 per team
    suffix = "" if public_url else " (not compared: BOT_PUBLIC_URL is unset)"
    for team in ("acme", "beta"):
        what = f"/sessions on team {team_id(world, team)} is registered and points at {COMMAND_URL}{suffix}"
        assert CheckLine(True, what) in lines
    text = format_check(lines)
    assert all(row.startswith("✓ ") for row in text.splitlines()) and "—" not in text


def test_check_turns_a_failed_lookup_into_one_line_and_goes_on(api, manifest, mattermost, world):
    world.faults.add(r"^/api/v4/roles/names$", method="POST", status=500)

    lines = run_check(api, manifest, mattermost)

    assert lines[2].what == "the bot's permissions can be read" and not lines[2].ok
    assert lines[2].fix.startswith("Mattermost refused the request: HTTP 500")
    assert lines[3] == CheckLine(False, "/sessions on team acme is registered", "run: sessions-bot install --team acme")


def test_check_of_a_team_the_bot_cannot_see_fails_that_line_only(api, manifest, mattermost):
    lines = run_check(api, manifest, mattermost, teams=("no-such-team",))

    assert all(line.ok for line in lines[:5])
    assert lines[FIRST_TEAM_LINE:] == [CheckLine(False, "/sessions can be looked up on the bot's teams",
                                   "Mattermost has no team 'no-such-team' that the bot can see: use the team's name "
                                   "as in its URL (or its id), and make sure the bot is a member")]


# --- format_install and describe_failure ------------------------------------------------------------

@pytest.mark.parametrize("known, advice", [
    ((), True),
    (("oldtoken",), True),
    (("beta", "acme"), False),  # team names stand for the tokens install prints for them
    (("oldtoken", "acme"), True),
], ids=["none known", "another known", "both known", "one of two known"])
def test_format_install_merges_the_tokens_and_advises_a_restart_only_for_a_new_one(api, manifest, world, known,
                                                                                   advice):
    results = install_all_teams(api, manifest, PUBLIC_URL)
    token = {r.team.id: r.token for r in results}
    known_tokens = [token[team_id(world, k)] if k in ("acme", "beta") else k for k in known]

    lines = format_install(results, known_tokens).splitlines()

    for line, result in zip(lines, results):
        assert line == f"created /sessions on team {result.team.id} → {COMMAND_URL} (command {result.command_id})"
    expected = list(dict.fromkeys([*known_tokens, *(r.token for r in results)]))
    assert lines[2] == "SLASH_COMMAND_TOKENS=" + ",".join(expected)
    assert (lines[3:] == ["Set SLASH_COMMAND_TOKENS to the line above and restart the bot: it refuses commands "
                          "whose token it does not know."]) is advice
    assert len(lines) == (4 if advice else 3)


def test_format_install_reports_what_happened_on_each_team(api, manifest, world):
    install(api, manifest, "acme", "https://old-host.example.com")
    install(api, manifest, "beta", PUBLIC_URL)

    results = install_all_teams(api, manifest, PUBLIC_URL)

    lines = format_install(results).splitlines()
    assert sorted(lines[:2]) == sorted(f"{change} /sessions on team {team_id(world, team)} → {COMMAND_URL} (command "
                                       f"{registered(world, team)['id']})"
                                       for change, team in (("updated", "acme"), ("unchanged", "beta")))


def failure_of(call: Callable[[], object]) -> Exception:
    """The exception a real call raises."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the exception is the result
        return exc
    raise AssertionError("the call succeeded")


@pytest.mark.parametrize("case, expected", [
    ("unreachable", "Mattermost did not answer: the connection failed"),
    ("bogus token", "Mattermost rejected MATTERMOST_TOKEN (invalid, expired or revoked)"),
    ("refused", "Mattermost refused the request: HTTP 403 api.context.permissions.app_error"),
    ("not json", "Mattermost answered in an unexpected shape: GET /users/me did not answer JSON"),
    ("no such team", "Mattermost has no team 'nope' that the bot can see: use the team's name as in its URL "
                     "(or its id), and make sure the bot is a member"),
])
def test_describe_failure_says_in_one_line_what_went_wrong(api, api_for, manifest, mattermost, world, mode, case,
                                                          expected):
    if case == "not json":
        world.faults.add(r"^/api/v4/users/me$", body=b"<html>proxy error</html>", content_type="text/html")
    calls = {
        "unreachable": lambda: RegistrationAPI(bot_settings(closed_port_url(), world.bot_token)).me(),
        "bogus token": lambda: bot_api(world, mattermost.url, mode, cls=RegistrationAPI,
                                       token="bogustoken0000000000000000").me(),
        "refused": lambda: api_for("alice").commands(team_id(world, "acme")),
        "not json": api.me,
        "no such team": lambda: install(api, manifest, "nope", PUBLIC_URL),
    }
    assert describe_failure(failure_of(calls[case])) == expected
