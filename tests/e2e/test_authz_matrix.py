"""The authorization matrix: every kind of caller × every kind of target × every command, typed and clicked.

The bot holds a privileged token, so it must never let a caller do through it what Mattermost would refuse
them directly. Three tables drive every case here:

* ``MATTERMOST`` says, for each kind of caller and each kind of target, what Mattermost itself lets the caller
  do: ``S`` list and sign out the target's sessions (one rule, ``SessionHasPermissionToUser``), ``R`` list
  their personal access tokens, ``D`` disable them. Before anything else, every cell of it is checked against
  the stand-in, asked with the **caller's own token** (resolving the target by name, then really calling
  ``GET /users/{id}/sessions``, ``POST …/sessions/revoke`` and ``…/revoke/all``, ``GET /users/{id}/tokens`` and
  ``POST /users/tokens/disable``; whatever those change is put back).
* ``COMMANDS`` says which of those each command needs.
* ``BOT_STRICTER`` lists the only cells where the bot refuses what Mattermost would allow, each with the
  README's reason, and ``VACUOUS`` the only cells where the bot goes ahead without Mattermost's leave: a
  deactivated caller reading their own session list, which deactivation emptied.

Each case runs the real bot over HTTP (in process, see ``tests/support/stack.py``) against the stand-in, from a
world restored before every case, and is
judged on effects: which sessions and tokens are gone, which lists the bot read with its token, what the caller
was shown, and the audit line.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pytest
import requests

from bot.core.commands import Command, DisableTokens, RevokeAll, RevokeSession, UserRef
from bot.features.everyone import CODE_WINDOW_S, confirmation_code
from bot.sandbox import World, run_slash_command, send_action
from bot.sandbox.records import copied
from bot.sandbox.roles import REVOKE_USER_ACCESS_TOKEN
from bot.web.buttons import ButtonSigner
from tests.support.lookups import audit_records
from tests.support.settings import BOT_SECRET, COMMAND_TOKEN, actions_url
from tests.support.stack import Mode, Waits, bot_app, serve_bot, start_stand_in

# --- who is who ------------------------------------------------------------------------------------

#: Each kind of caller, and the account that plays it.
ACTORS = {
    "guest": "guest",
    "plain user": "alice",
    "token user": "tokenuser",  # a plain user allowed to have personal access tokens (system_user_access_token)
    "user manager": "usermanager",  # edit_other_users (seed), and the token role on top
    "system manager": "sysmanager",  # Mattermost's defaults: no edit_other_users
    "system admin": "sysadmin",
    "bot account": "helperbot",  # a bot account with system_user, typing through POST /commands/execute
    "deactivated user": "deactivated",
}
#: Each kind of target, and the account that plays it ("self" is the caller).
TARGETS = {
    "self": None,
    "plain user": "bob",
    "guest": "guest2",
    "user manager": "usermanager2",
    "system admin": "otheradmin",
    "the sessions bot": "sessionsbot",
    "another bot": "deploybot",
    "deactivated user": "gone",
    "unknown user": "nobody",
}
#: The second user a bulk sign-out names, next to the target: a plain user.
BYSTANDER = "carol"
UNKNOWN_ID = "zz" * 13  # a well-formed user id nobody has

# --- what Mattermost allows ------------------------------------------------------------------------

#: S: list and sign out the target's sessions; R: list their tokens; D: disable their tokens; -: nothing.
#: Columns in the order of TARGETS: self, plain user, guest, user manager, system admin, the sessions bot,
#: another bot, deactivated user, unknown user.
MATTERMOST = {
    "guest":            ("S",   "-",   "-",   "-",   "-",   "-",   "-",   "-",   "-"),
    "plain user":       ("S",   "-",   "-",   "-",   "-",   "-",   "-",   "-",   "-"),
    "token user":       ("SRD", "-",   "-",   "-",   "-",   "-",   "-",   "-",   "-"),
    "user manager":     ("SRD", "SRD", "SRD", "SRD", "-",   "-",   "S",   "SRD", "-"),
    "system manager":   ("S",   "-",   "-",   "-",   "-",   "-",   "-",   "-",   "-"),
    "system admin":     ("SRD", "SRD", "SRD", "SRD", "SRD", "SRD", "SRD", "SRD", "-"),
    "bot account":      ("S",   "-",   "-",   "-",   "-",   "-",   "-",   "-",   "-"),
    "deactivated user": ("-",   "-",   "-",   "-",   "-",   "-",   "-",   "-",   "-"),
}
assert set(MATTERMOST) == set(ACTORS) and all(len(row) == len(TARGETS) for row in MATTERMOST.values())


def mattermost_allows(actor: str, target: str) -> frozenset[str]:
    return frozenset(MATTERMOST[actor][list(TARGETS).index(target)]) - {"-"}


# --- the commands ----------------------------------------------------------------------------------

READ_SESSIONS, READ_TOKENS, REVOKE_ONE, REVOKE_ALL, DISABLE, EVERYTHING, BULK = (
    "read sessions", "read tokens", "revoke one", "revoke all", "disable tokens", "everything", "bulk")


@dataclass(frozen=True)
class Spec:
    """One command: what it needs of Mattermost's rules, what it does, and how it is sent."""

    needs: str
    effect: str
    text: str | None = None  # typed: a template with {t} (" @target" or nothing), {sid} and {name}
    button: Callable[[str | None, UserRef | None], Command] | None = None  # clicked: (session id, target)

    @property
    def changes(self) -> bool:
        return self.effect not in (READ_SESSIONS, READ_TOKENS)

    @property
    def sessions(self) -> bool:
        """Whether the command concerns the target's sessions (not only their tokens)."""
        return "S" in self.needs


COMMANDS = {
    "list": Spec("S", READ_SESSIONS, text="list{t}"),
    "revoke": Spec("S", REVOKE_ONE, text="revoke {sid}{t}"),
    "revoke-all": Spec("S", REVOKE_ALL, text="revoke-all{t} --yes"),
    "tokens": Spec("R", READ_TOKENS, text="tokens{t}"),
    "disable-tokens": Spec("D", DISABLE, text="disable-tokens{t} --yes"),
    "revoke-all --tokens": Spec("SD", EVERYTHING, text="revoke-all{t} --tokens --yes"),
    "bulk": Spec("S", BULK, text="revoke-all @{name} @" + BYSTANDER + " --yes"),
    "button revoke": Spec("S", REVOKE_ONE, button=lambda sid, ref: RevokeSession(sid or UNKNOWN_ID, ref)),
    "button revoke-all": Spec("S", REVOKE_ALL, button=lambda _sid, ref: RevokeAll(ref, confirmed=True)),
    "button disable-tokens": Spec("D", DISABLE, button=lambda _sid, ref: DisableTokens(ref, confirmed=True)),
}


# --- where the bot is deliberately stricter, or goes ahead vacuously --------------------------------

@dataclass(frozen=True)
class Stricter:
    """Cells where Mattermost would allow the caller but the bot refuses, with what it answers and why."""

    applies: Callable[[str, str, str, Spec], bool]  # (actor kind, target kind, command name, spec)
    outcome: Callable[[str, Spec], str]  # (actor kind, spec) -> the audit reason, or for a bulk the skip reason
    why: str


BOT_STRICTER = (
    Stricter(lambda _a, target, _n, spec: target == "the sessions bot" and spec.changes,
             lambda _a, spec: "this bot's own account" if spec.effect == BULK else "target_is_this_bot",
             "README, Permissions: 'the bot never signs out its own account' and 'never disables its own tokens'; "
             "Incidents: 'The bot's own account ... skipped'"),
    Stricter(lambda _a, target, _n, spec: target == "deactivated user" and spec.sessions,
             lambda _a, spec: "deactivated: no sessions" if spec.effect == BULK else "TargetDeactivated",
             "README, What users see when things fail: a deactivated user gets its own message; Incidents: "
             "'deactivated users are skipped'. Deactivation revoked every session, so there is nothing to list or "
             "sign out (their tokens stay reachable through tokens/disable-tokens)"),
    Stricter(lambda _a, target, _n, spec: target == "self" and spec.effect == BULK,
             lambda actor, _s: "that's you" if "S" in mattermost_allows(actor, "plain user") else "needs_edit_other_users",
             "README, Incidents: 'You are skipped as well: sign yourself out with revoke-all --yes', and 'A caller "
             "without edit_other_users is refused before anything is looked up'"),
)

# README also says the bot asks manage_others_bots for any bot account's tokens, where Mattermost would accept
# the bot's owner holding manage_bots. No cell shows it: the stand-in's bots have no owner among its users (like
# a plugin's), so it asks manage_others_bots too, and the two agree on every "another bot" cell.

#: Cells where the bot acts although Mattermost would refuse the caller everything: a deactivated caller (who
#: has no session, so Mattermost answers them 401) typing a command about their own sessions. The bot does not
#: look a typing caller up for their own sessions (one Mattermost call per `list`, README Benchmark; Mattermost
#: sends no slash command for an account without a session) and reads their session list, which deactivation
#: emptied (MATTERMOST.md §3.6): nothing is shown and nothing can be signed out. A click is always looked up
#: (for the username the audit line names), so a deactivated clicker is refused.
VACUOUS = {("deactivated user", "self", name) for name, spec in COMMANDS.items()
           if spec.effect in (READ_SESSIONS, REVOKE_ONE, REVOKE_ALL) and spec.button is None}


def stricter(actor: str, target: str, name: str) -> Stricter | None:
    spec = COMMANDS[name]
    if not set(spec.needs) <= mattermost_allows(actor, target):
        return None
    return next((rule for rule in BOT_STRICTER if rule.applies(actor, target, name, spec)), None)


CASES = [(actor, target, name) for actor in ACTORS for target in TARGETS for name in COMMANDS]


# --- the installation ------------------------------------------------------------------------------

def build_world() -> World:
    """The seeded installation plus a second account of each target kind, tokens for everyone, and sessions
    for everyone but the deactivated."""
    world = World.seeded()
    world.set_roles("usermanager", "system_user system_user_manager system_user_access_token")
    world.add_user("tokenuser", "system_user system_user_access_token")
    world.add_user("guest2", "system_guest")
    world.add_user("usermanager2", "system_user system_user_manager")
    world.add_user(BYSTANDER)
    world.add_user("helperbot", is_bot=True)
    world.add_user("deploybot", is_bot=True)
    world.add_user("gone", deactivated=True)
    now = world.now_ms()
    for name in ("tokenuser", "guest2", "usermanager2", BYSTANDER):
        user_id = world.user_by_username(name)["id"]
        world.add_session(user_id, last_activity_ms=now - 60_000)
        world.add_session(user_id, last_activity_ms=now - 3_600_000, device_id="android_rn:1",
                          props=world.login_props(user_id, platform="Linux", os="Android",
                                                  browser="Mobile App/2.16.1", mobile=True))
    for name in ("bob", "guest", "guest2", "tokenuser", "usermanager", "usermanager2", "sysmanager", "sysadmin",
                 "otheradmin", BYSTANDER, "helperbot", "deploybot"):
        world.add_access_token(name, f"{name}'s script", last_used_ms=now - 86_400_000)
    for name in ("deactivated", "gone"):
        world.add_access_token(name, f"{name}'s leftover")  # a deactivated owner's token authenticates nothing
    return world


_NOT_STATE = ("_lock", "faults", "exchanges", "network")


def freeze(world: World) -> dict[str, Any]:
    with world._lock:  # noqa: SLF001 - a test snapshot of the whole stand-in
        return copied({k: v for k, v in vars(world).items() if k not in _NOT_STATE})


def thaw(world: World, frozen: dict[str, Any]) -> None:
    with world._lock:  # noqa: SLF001
        vars(world).update(copied(frozen))
        world.exchanges.clear()
        world.faults.clear()


def state(world: World) -> dict[str, tuple[frozenset[str], frozenset[tuple[str, bool]]]]:
    """Each user's session ids and (token id, active) pairs."""
    return {u["id"]: (frozenset(s["id"] for s in world.sessions_of(u["id"])),
                      frozenset((t["id"], t["is_active"]) for t in world.access_tokens_of(u["id"])))
            for u in world.users()}


def target_name(actor: str, target: str) -> str:
    return ACTORS[actor] if TARGETS[target] is None else TARGETS[target]  # type: ignore[return-value]


# --- asking Mattermost (the stand-in) with the caller's own token ----------------------------------

def ask_mattermost(world: World, base_url: str) -> dict[tuple[str, str], frozenset[str]]:
    """What the stand-in lets each caller do to each target, asked over HTTP with the caller's token; the world
    is put back after every call that changed it."""
    pristine = freeze(world)
    decided: dict[tuple[str, str], frozenset[str]] = {}

    for actor, username in ACTORS.items():
        for target in TARGETS:
            thaw(world, pristine)
            try:
                token = world.token_of(username)
            except LookupError:  # deactivated: no session, so every request is a 401
                token = None
            decided[actor, target] = frozenset(_decide(world, base_url, token, target_name(actor, target), pristine))
    thaw(world, pristine)
    return decided


def _decide(world: World, base_url: str, token: str | None, name: str, pristine: dict[str, Any]) -> Iterator[str]:
    if token is None:
        return
    http = world.network.session()

    def call(method: str, path: str, body: Any = None) -> requests.Response:
        return http.request(method, f"{base_url}/api/v4{path}", json=body, timeout=5,
                            headers={"Authorization": f"Bearer {token}"})

    found = call("GET", f"/users/username/{name}")  # the caller resolves the name, as they would in a client
    if found.status_code != 200:
        assert found.status_code in (403, 404)
        return
    user_id = found.json()["id"]
    listed = call("GET", f"/users/{user_id}/sessions").status_code
    sessions = world.sessions_of(user_id)
    # Signing one out: a real session of theirs, or (with none) an empty id, which is a 400 after the check.
    one = call("POST", f"/users/{user_id}/sessions/revoke", {"session_id": sessions[0]["id"] if sessions else ""})
    thaw(world, pristine)
    everything = call("POST", f"/users/{user_id}/sessions/revoke/all").status_code
    thaw(world, pristine)
    # One rule decides listing, signing one out and signing all out (§3.4).
    assert listed in (200, 403) and everything in (200, 403)
    assert one.status_code in ((200, 403) if sessions else (400, 403))
    assert (listed == 200) == (everything == 200) == (one.status_code != 403)
    if listed == 200:
        yield "S"
    read = call("GET", f"/users/{user_id}/tokens").status_code
    assert read in (200, 403)
    if read == 200:
        yield "R"
    tokens = [t for t in world.access_tokens_of(user_id) if t["is_active"]]
    assert tokens, f"{name} needs an active token for the question to mean something"
    disabled = call("POST", "/users/tokens/disable", {"token_id": tokens[0]["id"]}).status_code
    thaw(world, pristine)
    assert disabled in (200, 403)
    session = world.authenticate(token)
    assert (disabled == 200) == (world.has_permission(session, REVOKE_USER_ACCESS_TOKEN)
                                 and world.can_act_on_user_or_bot(session, user_id))
    if disabled == 200:
        yield "D"


# --- the bot under test ----------------------------------------------------------------------------

@dataclass
class Env:
    world: World
    slash_url: str
    actions_url: str
    pristine: dict[str, Any]
    decided: dict[tuple[str, str], frozenset[str]]
    mattermost_url: str


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    world = build_world()
    mode, waits = Mode(sockets=False, real_time=False), Waits()
    mattermost = start_stand_in(world, mode)
    try:
        extra = {"notify_targets": False, "revoke_rate_limit": "100000 per minute",
                 "lookup_rate_limit": "100000 per minute", "log_level": "WARNING"}
        typed = serve_bot(world, mode, lambda _url: bot_app(world, mattermost.url, mode, waits, **extra))
        clicked = serve_bot(world, mode, lambda url: bot_app(world, mattermost.url, mode, waits,
                                                             bot_public_url=url, **extra))
        with typed, clicked:
            decided = ask_mattermost(world, mattermost.url)
            for url in (typed.url, clicked.url):  # the bot's token opens its session once, before the snapshot
                run_slash_command(world, url + "/slash/sessions", COMMAND_TOKEN, "alice", "list")
            yield Env(world, typed.url + "/slash/sessions", actions_url(clicked.url), freeze(world), decided,
                      mattermost.url)
    finally:
        mattermost.stop()


@pytest.mark.parametrize(("actor", "target"), [(a, t) for a in ACTORS for t in TARGETS])
def test_the_table_is_what_mattermost_decides_with_the_callers_own_token(env, actor, target):
    assert env.decided[actor, target] == mattermost_allows(actor, target)


def test_every_exception_is_used_and_says_why():
    used = {id(rule) for case in CASES if (rule := stricter(*case)) is not None}
    assert used == {id(rule) for rule in BOT_STRICTER}
    assert all(rule.why.startswith("README") for rule in BOT_STRICTER)
    assert VACUOUS and all(not mattermost_allows(actor, target) for actor, target, _ in VACUOUS)


def _run(env: Env, actor: str, target: str, spec: Spec, target_id: str, sid: str | None) -> None:
    world = env.world
    name = target_name(actor, target)
    if spec.text is not None:
        t = "" if target == "self" else f" @{name}"
        result = run_slash_command(world, env.slash_url, COMMAND_TOKEN, ACTORS[actor],
                                   spec.text.format(t=t, sid=sid or UNKNOWN_ID, name=name))
        assert result.status == 200 and result.error is None
        return
    assert spec.button is not None
    ref = None if target == "self" else UserRef("id", target_id, "@" + name)
    actor_id = world.user_by_username(ACTORS[actor])["id"]
    signed = ButtonSigner(BOT_SECRET).sign(actor_id, spec.button(sid, ref))
    click = send_action(world, env.actions_url, ACTORS[actor], {"signed": signed})
    assert click.status == 200 and click.error is None


@pytest.mark.parametrize(("actor", "target", "command"), CASES)
def test_the_bot_acts_exactly_where_mattermost_would_let_the_caller(env, caplog, actor, target, command):
    caplog.set_level(logging.INFO, logger="bot.audit")
    world = env.world
    thaw(world, env.pristine)
    spec = COMMANDS[command]
    allowed = set(spec.needs) <= env.decided[actor, target]
    exception = stricter(actor, target, command)
    vacuous = (actor, target, command) in VACUOUS
    actor_id = world.user_by_username(ACTORS[actor])["id"]
    target_id = UNKNOWN_ID if target == "unknown user" else world.user_by_username(target_name(actor, target))["id"]
    bystander_id = world.user_by_username(BYSTANDER)["id"]
    sessions = world.sessions_of(target_id)
    tokens = world.access_tokens_of(target_id) if target != "unknown user" else []
    sid = sessions[0]["id"] if sessions else None
    before = state(world)
    earlier = {post["id"] for post in world.ephemeral_posts_for(actor_id)}

    _run(env, actor, target, spec, target_id, sid)

    after = state(world)
    shown = json.dumps([post for post in world.ephemeral_posts_for(actor_id) if post["id"] not in earlier])
    records = audit_records(caplog)
    read = {e.path for e in world.exchanges if e.method == "GET"}
    read_sessions = f"/api/v4/users/{target_id}/sessions" in read
    read_tokens = f"/api/v4/users/{target_id}/tokens" in read
    shown_sessions = [s["id"] for s in sessions if s["id"][:8] in shown]
    shown_tokens = [t["id"] for t in tokens if t["id"] in shown]
    changed = {user_id for user_id in before if before[user_id] != after[user_id]}
    mine = [r for r in records if r["action"] != "revoke-many" and r["target_id"] == target_id]
    if spec.effect == READ_SESSIONS:
        acted = read_sessions
    elif spec.effect == READ_TOKENS:
        acted = read_tokens
    else:  # a change, or an "ok" for this target when there was nothing to change
        acted = target_id in changed or any(r["result"] == "ok" for r in mine)

    if vacuous:  # the bot reads the deactivated caller's own list, which deactivation emptied: nothing else
        assert not allowed and read_sessions and sessions == [] and world.sessions_of(target_id) == []
        assert not changed and not shown_sessions and not shown_tokens and not read_tokens
        return
    if not allowed:  # never more than Mattermost allows
        assert not acted, f"{actor} → {target}: {command} went through where Mattermost refuses"
        assert target_id not in changed and not shown_sessions and not shown_tokens
        assert not read_sessions and not read_tokens, "the bot read what the caller may not"
        if spec.effect != BULK:
            assert records and all(r["result"] == "refused" or (target == "unknown user" and r["result"] == "failed"
                                                                and r["reason"] == "UserNotFound")
                                   for r in records), records
    elif exception is not None:  # stricter than Mattermost, where and as the README says
        assert not acted and target_id not in changed and not shown_sessions, exception.why
        expected = exception.outcome(actor, spec)
        if spec.effect == BULK:
            [summary] = [r for r in records if r["action"] == "revoke-many"]
            skip = f"- `@{target_name(actor, target)}`: "
            reasons = [line[len(skip):] for line in shown.split("\\n") if line.startswith(skip)]
            assert summary["reason"] == expected or (reasons and reasons[0].startswith(expected)), (expected, shown)
        else:
            [record] = records  # a refusal's reason is lower case; an error's is its type name, and "failed"
            assert (record["reason"], record["result"]) == (expected, "failed" if expected[0].isupper() else "refused")
    else:  # exactly what Mattermost allows
        assert acted, f"{actor} → {target}: {command} was refused where Mattermost allows it"
        _assert_exact_effect(spec, before, after, target_id, sid, sessions, tokens)
        if spec.effect == READ_SESSIONS:
            assert shown_sessions == [s["id"] for s in sessions]
        if spec.effect == READ_TOKENS:
            assert shown_tokens == [t["id"] for t in tokens]
        if spec.changes or target != "self":  # only reading your own sessions or tokens goes unaudited
            assert [r["result"] for r in mine] == ["ok"], records
        assert not any(r["result"] in ("refused", "failed") for r in records), records

    # Whatever the verdict, nobody else is touched (the bulk's bystander only where Mattermost allows it).
    others = changed - {target_id}
    if spec.effect == BULK and "S" in env.decided[actor, "plain user"]:
        assert others == {bystander_id} and after[bystander_id][0] == frozenset()
    else:
        assert not others, f"{command} touched someone else"


def _assert_exact_effect(spec: Spec, before: dict, after: dict, target_id: str, sid: str | None,
                         sessions: list[dict], tokens: list[dict]) -> None:
    """The change an allowed command makes to the target, and nothing else of theirs."""
    sessions_before, tokens_before = before[target_id]
    sessions_after, tokens_after = after[target_id]
    all_disabled = frozenset((token_id, False) for token_id, _active in tokens_before)
    values = {t["token"] for t in tokens}
    match spec.effect:
        case "read sessions" | "read tokens":
            assert after[target_id] == before[target_id]
        case "revoke one":
            assert sessions_after == sessions_before - {sid} and tokens_after == tokens_before
        case "revoke all" | "bulk":
            assert sessions_after == frozenset() and tokens_after == tokens_before
        case "disable tokens":  # disabling a token also ends the session its use opened (§3.3)
            assert tokens_after == all_disabled
            assert sessions_after == {s["id"] for s in sessions if s["token"] not in values}
        case "everything":
            assert sessions_after == frozenset() and tokens_after == all_disabled


# --- the commands that name no single target ---------------------------------------------------------

def as_caller(env: Env, username: str, method: str, path: str) -> int | None:
    """The status Mattermost answers the caller's own token (None: they have no session, so a 401)."""
    try:
        token = env.world.token_of(username)
    except LookupError:
        return None
    return env.world.network.session().request(method, f"{env.mattermost_url}/api/v4{path}", timeout=5,
                                               headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.mark.parametrize("actor", list(ACTORS))
def test_list_stale_reads_exactly_the_members_whose_sessions_mattermost_lets_the_caller_list(env, caplog, actor):
    """README: `list --stale` is for callers who may act on others (refused otherwise, although Mattermost would
    let anyone list their own sessions), and members whose sessions they may not list are counted, never read.
    Deactivated members, who have no sessions, are left out."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    world = env.world
    thaw(world, env.pristine)
    members = [u for u in world.team_users(world.team["id"]) if not u["delete_at"]]
    may_list = {u["id"] for u in members if as_caller(env, ACTORS[actor], "GET", f"/users/{u['id']}/sessions") == 200}
    world.exchanges.clear()
    before = state(world)
    run_slash_command(world, env.slash_url, COMMAND_TOKEN, ACTORS[actor], "list --stale 1d")
    read = {e.path.split("/")[4] for e in world.exchanges if e.method == "GET" and e.path.endswith("/sessions")}
    assert read <= may_list, f"read sessions Mattermost would not show {actor}"
    [record] = audit_records(caplog)
    if "S" in mattermost_allows(actor, "plain user"):  # the caller may act on others
        assert read == may_list and record["result"] == "ok"
    else:
        reason = "caller_deactivated" if actor == "deactivated user" else "needs_edit_other_users"
        assert read == set() and (record["result"], record["reason"]) == ("refused", reason)
    assert state(world) == before


@pytest.mark.parametrize("actor", list(ACTORS))
def test_signing_everyone_out_is_allowed_exactly_where_mattermost_allows_it(env, caplog, actor):
    caplog.set_level(logging.INFO, logger="bot.audit")
    world = env.world
    thaw(world, env.pristine)
    allowed = as_caller(env, ACTORS[actor], "POST", "/users/sessions/revoke/all") == 200
    thaw(world, env.pristine)
    actor_id = world.user_by_username(ACTORS[actor])["id"]
    humans = [u["id"] for u in world.users() if not u["is_bot"]]
    before = {user_id: world.sessions_of(user_id) for user_id in humans}
    code = confirmation_code(BOT_SECRET, actor_id, int(time.time()) // CODE_WINDOW_S)
    run_slash_command(world, env.slash_url, COMMAND_TOKEN, ACTORS[actor], f"revoke-all --everyone --confirm {code}")
    after = {user_id: world.sessions_of(user_id) for user_id in humans}
    [record] = audit_records(caplog)
    if allowed:
        assert all(not sessions for sessions in after.values()) and record["result"] == "ok"
    else:
        reason = "caller_deactivated" if actor == "deactivated user" else "needs_manage_system"
        assert after == before and (record["result"], record["reason"]) == ("refused", reason)
