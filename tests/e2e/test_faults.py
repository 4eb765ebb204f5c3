"""Faults injected into the stand-in, end to end: the bot over HTTP, Mattermost misbehaving under it.

For every fault (an answer later than ``MATTERMOST_TIMEOUT_S``, a dropped connection, a 500, the rate
limiter's 429 with ``Retry-After``, a body that is not JSON or not shaped as documented, the bot's token
rejected) and every command it can hit (list, revoke, revoke-all, a filtered revoke-all, tokens,
disable-tokens, revoke-all --tokens, a bulk sign-out, a button), the same four things must hold:

* the user gets a clear message naming what went wrong: no traceback, no bug report, no ✅ for what did not
  happen (a partial run says exactly which part did);
* the audit line says ``failed`` with the error's name, never ``ok`` for a failure;
* nothing is claimed that the stand-in does not show: every session id an audit line lists is really gone and
  every token id really disabled, and what the fault stopped is still there;
* the bot stays healthy: ``GET /healthz`` answers 200 and the next ordinary command works.

A 429 is waited out where the bot sends a call again (one by one revocations, bulk sign-outs, disabling
tokens), which must then simply succeed. Then a few faults that need a story of their own: a session
signed out between the list and the click, the bot's token revoked or disabled in the middle of a bulk
sign-out, and Mattermost slow on every call.

Most cases run in process, in virtual time (``tests/support/stack.py``): a delay past the timeout is a
``ReadTimeout`` at once, a ``Retry-After`` is recorded in ``bot_waits`` instead of slept. What that stands for
is shown for real by ``test_on_real_sockets_the_same_faults_take_the_time_they_say`` (``pytest.mark.sockets``):
one timeout, one dropped connection, 429s really waited out, an answer that is not JSON. The few stories that
need another party to cut in while Mattermost is slow, or the reply budget to run out, are marked
``real_time``.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

import pytest

from bot.features.everyone import CODE_WINDOW_S, confirmation_code
from bot.sandbox import SlashResult, World, buttons_of, click_button, run_slash_command
from tests.support.lookups import audit_records, session_ids, uid
from tests.support.settings import BOT_SECRET, COMMAND_TOKEN
from tests.support.stack import BotServer
from tests.support.waiting import eventually

TIMEOUT_S = 0.3


# --- the faults ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fault:
    """How to inject it on one endpoint, what the user must be told, and the error the audit line names."""

    inject: Callable[[World, str, str], object]  # (world, method, path regex)
    says: str
    error: str
    late: bool = False  # Mattermost still does it, after the bot has given up waiting
    rate_limit: bool = False


FAULTS = {
    "timeout": Fault(lambda w, m, p: w.faults.add(p, method=m, delay_s=0.6, times=1),
                     f"did not answer within {TIMEOUT_S:g} s", "MattermostUnreachable", late=True),
    "connection reset": Fault(lambda w, m, p: w.faults.add(p, method=m, drop_connection=True, times=1),
                              "couldn't reach Mattermost: the connection failed", "MattermostUnreachable"),
    "HTTP 500": Fault(lambda w, m, p: w.faults.add(p, method=m, status=500, times=1), "HTTP 500", "UpstreamRejected"),
    "HTTP 429": Fault(lambda w, m, p: w.faults.rate_limit(p, times=1, method=m, retry_after_s=1),
                      "Mattermost is busy; try again in 1 second.", "UpstreamRejected", rate_limit=True),
    "not JSON": Fault(lambda w, m, p: w.faults.add(p, method=m, status=200, body=b"{not json", times=1),
                      "not what the sessions bot expected", "UpstreamMalformed"),
    "wrong shape": Fault(lambda w, m, p: w.faults.add(p, method=m, status=200, body=b'{"surprise": [1, 2]}', times=1),
                         "not what the sessions bot expected", "UpstreamMalformed"),
    "token rejected": Fault(lambda w, m, p: w.faults.add(p, method=m, status=401, times=1),
                            "rejected the sessions bot's access token", "BotTokenRejected"),
}


# --- the commands --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scenario:
    """A command, who types it, the call the fault hits, and what the fault must leave untouched."""

    caller: str
    text: Callable[[World], str]
    method: str
    path: Callable[[World], str]
    action: str  # the audit line's action
    target: str  # the audit line's target (username)
    untouched: Callable[[World], object]  # what the faulted call would have changed
    patient: bool = False  # the faulted call is sent again after a 429
    partial: bool = False  # something before the faulted call changes for good
    click: bool = False  # typed, then the first button of the reply clicked


def _first_session(world: World, username: str) -> str:
    return world.sessions_of(uid(world, username))[0]["id"]


def _active_tokens(world: World, username: str) -> set[str]:
    return {t["id"] for t in world.access_tokens_of(username) if t["is_active"]}


def _sessions_path(name: str, tail: str = "") -> Callable[[World], str]:
    return lambda w: rf"^/api/v4/users/{uid(w, name)}/sessions{tail}$"


def _desktop_and_mobile(world: World) -> set[str]:
    return {s["id"] for s in world.sessions_of(uid(world, "alice")) if s["props"].get("browser", "").startswith(
        ("Desktop App", "Mobile App"))}


def _code(world: World, username: str) -> str:
    return confirmation_code(BOT_SECRET, uid(world, username), int(time.time()) // CODE_WINDOW_S)


def _everyones_sessions(world: World) -> set[str]:
    return {s["id"] for u in world.users() if not u["is_bot"] for s in world.sessions_of(u["id"])}


SCENARIOS = {
    "list": Scenario("usermanager", lambda w: "list @alice", "GET", _sessions_path("alice"), "list", "alice",
                     lambda w: session_ids(w, "alice")),
    "list, caller lookup": Scenario("usermanager", lambda w: "list @alice", "GET",
                                    lambda w: rf"^/api/v4/users/{uid(w, 'usermanager')}$", "list", "@alice",
                                    lambda w: session_ids(w, "alice")),
    "list, role lookup": Scenario("usermanager", lambda w: "list @alice", "POST", lambda w: r"^/api/v4/roles/names$",
                                  "list", "@alice", lambda w: session_ids(w, "alice")),
    "revoke-all @alice, the bot's own id": Scenario("usermanager", lambda w: "revoke-all @alice --yes", "GET",
                                                    lambda w: r"^/api/v4/users/me$", "revoke-all", "@alice",
                                                    lambda w: session_ids(w, "alice")),
    "revoke": Scenario("alice", lambda w: f"revoke {_first_session(w, 'alice')[:8]}", "POST",
                       _sessions_path("alice", "/revoke"), "revoke", "alice", lambda w: session_ids(w, "alice")),
    "revoke-all": Scenario("bob", lambda w: "revoke-all --yes", "POST", _sessions_path("bob", "/revoke/all"),
                           "revoke-all", "bob", lambda w: session_ids(w, "bob")),
    "filtered revoke-all": Scenario("alice", lambda w: "revoke-all --platform desktop,mobile --yes", "POST",
                                    _sessions_path("alice", "/revoke"), "revoke-all", "alice", _desktop_and_mobile,
                                    patient=True),
    "tokens": Scenario("sysadmin", lambda w: "tokens @alice", "GET", lambda w: rf"^/api/v4/users/{uid(w, 'alice')}/tokens$",
                       "tokens", "alice", lambda w: _active_tokens(w, "alice")),
    "disable-tokens": Scenario("sysadmin", lambda w: "disable-tokens @alice --yes", "POST",
                               lambda w: r"^/api/v4/users/tokens/disable$", "disable-tokens", "alice",
                               lambda w: _active_tokens(w, "alice"), patient=True),
    "revoke-all --tokens": Scenario("sysadmin", lambda w: "revoke-all @alice --tokens --yes", "POST",
                                    lambda w: r"^/api/v4/users/tokens/disable$", "revoke-all", "alice",
                                    lambda w: _active_tokens(w, "alice"), patient=True, partial=True),
    "bulk": Scenario("usermanager", lambda w: "revoke-all @alice @bob --yes", "POST", _sessions_path("bob", "/revoke/all"),
                     "revoke-all", "bob", lambda w: session_ids(w, "bob"), patient=True, partial=True),
    "revoke-all --everyone": Scenario("sysadmin", lambda w: f"revoke-all --everyone --confirm {_code(w, 'sysadmin')}",
                                      "POST", lambda w: r"^/api/v4/users/sessions/revoke/all$", "revoke-everyone",
                                      "(everyone)", _everyones_sessions),
    "button revoke": Scenario("alice", lambda w: "list", "POST", _sessions_path("alice", "/revoke"), "revoke", "alice",
                              lambda w: session_ids(w, "alice"), click=True),
}


@pytest.fixture
def bot(make_bot) -> BotServer:
    """A bot with buttons whose every call to Mattermost times out after 0.3 s."""
    return make_bot(mattermost_timeout_s=TIMEOUT_S)


def type_(world: World, bot: BotServer, username: str, text: str) -> SlashResult:
    result = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, username, text)
    assert result.status == 200 and result.error is None and result.ephemeral
    return result


def run_scenario(world: World, bot: BotServer, scenario: Scenario, before_fault: Callable[[], None]) -> str:
    """Run the scenario's command (typing it, or typing and clicking), the fault injected just before the
    command that meets it; what the user is shown."""
    if not scenario.click:
        before_fault()
        return type_(world, bot, scenario.caller, scenario.text(world)).visible_text or ""
    shown = type_(world, bot, scenario.caller, scenario.text(world))
    before_fault()
    click = click_button(world, shown.post_id or "", buttons_of(world.ephemeral_post(shown.post_id))[0]["id"],
                         scenario.caller)
    assert click.error is None and click.status == 200
    latest = world.ephemeral_posts_for(uid(world, scenario.caller))[-1]
    return click.ephemeral_text or latest["message"]


def assert_claims_hold(world: World, records: list[dict]) -> None:
    """Every session an audit line says was signed out is gone, and every token it says was disabled is."""
    live = {s["id"] for u in world.users() for s in world.sessions_of(u["id"])}
    active = {t["id"] for u in world.users() for t in world.access_tokens_of(u["id"]) if t["is_active"]}
    for record in records:
        assert not set(record["session_ids"]) & live, f"claimed signed out but still there: {record}"
        assert not set(record["token_ids"]) & active, f"claimed disabled but still active: {record}"


def assert_healthy(world: World, bot: BotServer) -> None:
    assert bot.http.get(bot.url + "/healthz", timeout=5).json() == {"status": "ok"}
    listed = type_(world, bot, "otheradmin", "list").visible_text or ""
    assert listed.startswith(("#### Your sessions (1)", "You have no active sessions")), listed  # (after everyone)


def bot_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("bot") and r.levelno >= logging.ERROR]


#: Every scenario meets every fault: a revoking POST counts only when Mattermost answered its ``{"status": "OK"}``
#: (``ReturnStatusOK``), so a well-formed but different JSON answer to one is a fault like any other.
CASES = [(s, f) for s in SCENARIOS for f in FAULTS]


@pytest.mark.parametrize(("scenario_name", "fault_name"), CASES)
def test_a_fault_is_explained_audited_as_failed_claims_nothing_and_the_bot_carries_on(
        world, bot, caplog, bot_waits, scenario_name, fault_name):
    check_fault(world, bot, caplog, scenario_name, fault_name)
    if FAULTS[fault_name].rate_limit and SCENARIOS[scenario_name].patient:  # in virtual time, nothing really waits
        assert bot_waits.seconds == [1.0], "the bot waits exactly what Retry-After asks, once"
    else:
        assert bot_waits.seconds == []


#: One case of each fault that takes real time (a timeout, a dropped connection, a 429 waited out), and the
#: answers that are not JSON, on real sockets: what virtual time stands for above, shown for real.
SOCKET_CASES = [("list", "timeout"), ("revoke", "connection reset"), ("filtered revoke-all", "HTTP 429"),
                ("bulk", "HTTP 429"), ("tokens", "not JSON")]


@pytest.mark.sockets
@pytest.mark.parametrize(("scenario_name", "fault_name"), SOCKET_CASES)
def test_on_real_sockets_the_same_faults_take_the_time_they_say(world, bot, caplog, scenario_name, fault_name):
    started = time.monotonic()
    check_fault(world, bot, caplog, scenario_name, fault_name)
    elapsed = time.monotonic() - started
    if fault_name == "timeout":  # the bot really stopped waiting at its timeout, before Mattermost answered
        assert elapsed >= TIMEOUT_S
    if fault_name == "HTTP 429":  # and really waited out Retry-After: 1
        assert elapsed >= 1.0


def check_fault(world: World, bot: BotServer, caplog, scenario_name: str, fault_name: str) -> None:
    """The scenario meets the fault: the four things the module docstring promises hold."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    scenario, fault = SCENARIOS[scenario_name], FAULTS[fault_name]
    untouched = scenario.untouched(world)
    assert untouched, "the scenario must have something to lose"
    path = scenario.path(world)
    text = run_scenario(world, bot, scenario, lambda: fault.inject(world, scenario.method, path))

    if fault.late:  # the stand-in finishes the call it answered too late; look at the world after it
        eventually(lambda: any(e for e in world.calls(scenario.method, path) if e.notes), "the late answer")
    records = audit_records(caplog)
    mine = [r for r in records if (r["action"], r["target_username"]) == (scenario.action, scenario.target)]
    assert "Traceback" not in text and "reference `" not in text and not bot_errors(caplog)
    assert_claims_hold(world, records)

    if fault.rate_limit and scenario.patient:  # waited out, then sent again: it simply works
        assert [r["result"] for r in mine] == ["ok"] and "⚠️" not in text
        assert not set(scenario.untouched(world)) & set(untouched)
        assert [e.status for e in world.calls(scenario.method, path)][:2] == [429, 200]
    else:
        assert fault.says in text, text
        assert [(r["result"], r["reason"]) for r in mine] == [("failed", fault.error)], records
        assert not any(r["result"] == "ok" for r in mine)
        if scenario.partial:  # what was done before the fault is claimed, the rest is flagged
            assert "✅" in text and "⚠️" in text
        else:
            assert "✅" not in text and "🔑 Disabled" not in text
        claimed = {item for r in mine for item in (*r["session_ids"], *r["token_ids"])}
        assert not claimed & set(untouched), "the audit line claims what the faulted call was to do"
        if not fault.late:  # the fault answered instead of Mattermost: the call did nothing
            assert scenario.untouched(world) == untouched
        else:  # it went through after the bot stopped waiting: the user is told to check
            assert "run `/sessions list` to see whether it went through" in text or "may still" in text
    assert_healthy(world, bot)


@pytest.mark.parametrize(("caller", "text", "path"), [
    ("bob", "revoke-all --yes", r"/sessions/revoke/all$"),
    ("alice", "revoke {sid}", r"/sessions/revoke$"),
    ("sysadmin", "disable-tokens @alice --yes", r"^/api/v4/users/tokens/disable$"),
])
def test_a_200_answer_to_a_revocation_that_is_not_mattermosts_status_ok_is_not_taken_for_success(
        world, bot, caplog, caller, text, path):
    caplog.set_level(logging.INFO, logger="bot.audit")
    owner = "alice" if "alice" in text or caller == "alice" else caller
    before, tokens = session_ids(world, owner), _active_tokens(world, owner)
    world.faults.add(path, method="POST", status=200, body=b'{"surprise": 1}', times=1)
    shown = type_(world, bot, caller, text.format(sid=_first_session(world, owner)[:8])).visible_text or ""
    [record] = audit_records(caplog)
    assert "✅" not in shown and "🔑 Disabled" not in shown
    assert "see whether it went through" in shown or "which may still work" in shown  # unconfirmed, said so
    assert (record["result"], record["reason"], record["session_ids"], record["token_ids"]) == (
        "failed", "UpstreamMalformed", [], [])
    assert session_ids(world, owner) == before and _active_tokens(world, owner) == tokens


# --- regression: a failed sign-out listed its sessions in the audit line as if signed out -------------

@pytest.mark.parametrize("text", ["revoke {sid}", "revoke-all --yes", "revoke-all --tokens --yes",
                                  "revoke {sid} @alice", "revoke-all @alice --tokens --yes"])
def test_the_audit_line_of_a_failed_sign_out_lists_no_session_as_signed_out(world, bot, caplog, text):
    caplog.set_level(logging.INFO, logger="bot.audit")
    world.set_roles("alice", "system_user system_user_access_token")
    before = session_ids(world, "alice")
    world.faults.add(r"/sessions/revoke(/all)?$", method="POST", status=500, times=1)
    caller = "sysadmin" if "@alice" in text else "alice"
    shown = type_(world, bot, caller, text.format(sid=_first_session(world, "alice")[:8])).visible_text
    [record] = audit_records(caplog)
    assert (record["result"], record["reason"], record["session_ids"], record["token_ids"]) == (
        "failed", "UpstreamRejected", [], [])
    assert session_ids(world, "alice") == before and "✅" not in shown
    assert _active_tokens(world, "alice")  # revoke-all --tokens stopped before disabling anything


# --- the caller's permissions can only fail closed ---------------------------------------------------

@pytest.mark.parametrize("body", [b"[]", b'[{"name": "system_user_manager", "permissions": []}]',
                                  b'[{"name": "system_user_manager", "permissions": "edit_other_users"}]'])
def test_role_definitions_that_grant_nothing_refuse_the_caller_and_touch_nothing(world, bot, caplog, body):
    caplog.set_level(logging.INFO, logger="bot.audit")
    before = session_ids(world, "alice")
    world.faults.add(r"^/api/v4/roles/names$", method="POST", status=200, body=body, times=1)
    text = type_(world, bot, "usermanager", "revoke-all @alice --yes").visible_text
    assert "**edit_other_users**" in text and session_ids(world, "alice") == before
    assert [(r["result"], r["reason"]) for r in audit_records(caplog)] == [("refused", "needs_edit_other_users")]
    assert not world.calls(path_regex=r"/sessions")


# --- a 429 where the bot does not send the call again ---------------------------------------------

def test_a_429_on_a_single_revocation_is_reported_and_sending_it_again_works(world, bot, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    target = _first_session(world, "alice")
    world.faults.rate_limit(_sessions_path("alice", "/revoke")(world), times=1, retry_after_s=1)
    text = type_(world, bot, "alice", f"revoke {target[:8]}").visible_text
    assert "Mattermost is busy; try again in 1 second." in text and "✅" not in text
    assert target in session_ids(world, "alice")
    assert type_(world, bot, "alice", f"revoke {target[:8]}").visible_text.startswith("✅ Signed out of")
    assert [r["result"] for r in audit_records(caplog)] == ["failed", "ok"]


def test_a_bulk_target_the_rate_limiter_never_lets_through_fails_alone(world, bot, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="bot.audit")
    monkeypatch.setattr("bot.features.stepwise.RATE_LIMIT_ATTEMPTS", 2)  # the bot runs in this process
    world.faults.rate_limit(_sessions_path("bob", "/revoke/all")(world), times=None, retry_after_s=1)
    text = type_(world, bot, "usermanager", "revoke-all @alice @bob --yes").visible_text
    assert text.startswith("✅ Signed 1 user out of") and "**⚠️ Failed for 1 user**" in text
    assert "- @bob: Mattermost is busy; try again in 1 second." in text
    assert session_ids(world, "alice") == set() and len(session_ids(world, "bob")) == 2
    assert len(world.calls("POST", r"/users/.*/revoke/all$")) == 3  # alice once, bob twice
    by_target = {r["target_username"]: (r["result"], r["reason"]) for r in audit_records(caplog)}
    assert by_target["alice"] == ("ok", "") and by_target["bob"] == ("failed", "UpstreamRejected")
    assert by_target["@alice @bob"][0] == "failed"


# --- a failure in a command that outlasted the reply budget -----------------------------------------

@pytest.mark.real_time  # the bot's reply budget runs out, or another user cuts in, while Mattermost is slow
def test_a_bulk_failure_reported_late_through_response_url_is_as_honest(world, make_bot, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    bot = make_bot(mattermost_timeout_s=TIMEOUT_S, reply_budget_s=0.1)
    world.faults.add(_sessions_path("bob", "/revoke/all")(world), method="POST", status=500)  # first match wins
    world.faults.add(r"/sessions/revoke/all$", method="POST", delay_s=0.2)  # alice's: past the budget
    shown = type_(world, bot, "usermanager", "revoke-all @alice @bob --yes")
    assert shown.visible_text.startswith("⏳ Still working")

    def late() -> list[str]:
        posts = world.ephemeral_posts_for(uid(world, "usermanager"))
        ids = [post["id"] for post in posts]
        return [post["message"] for post in posts[ids.index(shown.post_id) + 1:] if post["message"].startswith("✅")]

    [text] = eventually(late, "the late result")
    assert text.startswith("✅ Signed 1 user out of") and "**⚠️ Failed for 1 user**" in text and "HTTP 500" in text
    records = audit_records(caplog)
    assert {(r["target_username"], r["result"]) for r in records} == {
        ("alice", "ok"), ("bob", "failed"), ("@alice @bob", "failed")}
    assert_claims_hold(world, records)
    assert len(session_ids(world, "bob")) == 2


# --- a bulk sign-out's reads: one target's trouble is that target's alone ---------------------------------

#: The two reads that wait out a 429, in virtual time and once for real.
WHERE = ["in process", pytest.param("on sockets", marks=pytest.mark.sockets)]


@pytest.mark.parametrize("where", WHERE)
def test_a_429_while_a_bulk_sign_out_reads_a_targets_sessions_is_waited_out(world, bot, caplog, bot_waits, where):
    caplog.set_level(logging.INFO, logger="bot.audit")
    world.faults.rate_limit(_sessions_path("bob")(world), times=1, method="GET", retry_after_s=1)
    started = time.monotonic()
    text = type_(world, bot, "usermanager", "revoke-all @alice @bob --yes").visible_text
    assert (time.monotonic() - started >= 1.0) if where == "on sockets" else bot_waits.seconds == [1.0]
    assert text.startswith("✅ Signed 2 users out of") and "⚠️" not in text
    assert session_ids(world, "alice") == session_ids(world, "bob") == set()
    assert [r["result"] for r in audit_records(caplog)] == ["ok", "ok", "ok"]


@pytest.mark.parametrize("flags", ["", " --tokens"])
def test_a_bulk_target_whose_sessions_or_tokens_cannot_be_read_fails_alone(world, bot, caplog, flags):
    caplog.set_level(logging.INFO, logger="bot.audit")
    what = "tokens" if flags else "sessions"
    world.faults.add(rf"^/api/v4/users/{uid(world, 'bob')}/{what}$", method="GET", status=500)
    bobs = session_ids(world, "bob")
    preview = type_(world, bot, "sysadmin", f"revoke-all @alice @bob{flags}").visible_text
    assert preview.startswith("**This will sign 1 user out of") and "- `@bob`: Mattermost answered" in preview
    text = type_(world, bot, "sysadmin", f"revoke-all @alice @bob{flags} --yes").visible_text
    assert text.startswith("✅ Signed 1 user out of") and "**⚠️ Failed for 1 user**" in text and "HTTP 500" in text
    assert session_ids(world, "alice") == set() and session_ids(world, "bob") == bobs  # bob: not even half done
    assert all(t["is_active"] for t in world.access_tokens_of("bob"))
    records = audit_records(caplog)
    by_target = {r["target_username"]: (r["action"], r["result"], r["reason"], r["session_ids"])
                 for r in records if r["result"] != "preview"}
    assert by_target["bob"] == ("revoke-all", "failed", "UpstreamRejected", [])
    assert by_target["alice"][:2] == ("revoke-all", "ok")
    assert by_target["@alice @bob"][:2] == ("revoke-many", "failed")
    assert by_target["@alice @bob"][2].endswith("1 failed")
    assert_claims_hold(world, records)


def test_a_bulk_sign_out_where_no_target_can_be_read_fails_and_claims_nothing(world, bot, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    world.faults.add(r"^/api/v4/users/\w+/sessions$", method="GET", status=500)
    text = type_(world, bot, "usermanager", "revoke-all @alice @bob --yes").visible_text
    assert "✅" not in text and "**⚠️ Failed for 2 users**" in text and "Nothing to sign out" not in text
    assert len(session_ids(world, "alice")) == 4 and len(session_ids(world, "bob")) == 2
    summary = [r for r in audit_records(caplog) if r["action"] == "revoke-many"]
    assert [r["result"] for r in summary] == ["failed"]


@pytest.mark.parametrize("where", WHERE)
def test_a_429_while_list_stale_reads_a_members_sessions_is_waited_out(world, bot, bot_waits, where):
    world.faults.rate_limit(_sessions_path("bob")(world), times=1, method="GET", retry_after_s=1)
    started = time.monotonic()
    text = type_(world, bot, "sysadmin", "list --stale 7d").visible_text
    assert (time.monotonic() - started >= 1.0) if where == "on sockets" else bot_waits.seconds == [1.0]
    assert "⚠️" not in text and "@bob" in text  # bob's Android session has been idle for 16 days


# --- a session signed out between the list and the click ------------------------------------------

def test_a_session_signed_out_elsewhere_after_the_list_is_not_found_when_clicked(world, bot, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    shown = type_(world, bot, "alice", "list")
    first = buttons_of(world.ephemeral_post(shown.post_id))[0]
    gone = max(world.sessions_of(uid(world, "alice")), key=lambda s: s["last_activity_at"])  # the first card
    world.revoke_session(gone["id"])
    others = session_ids(world, "alice")
    click = click_button(world, shown.post_id, first["id"], "alice")
    assert click.error is None and "No session of yours has the ID" in click.ephemeral_text
    assert f"`{gone['id'][:8]}…`: it may have been signed out already" in click.ephemeral_text
    assert gone["id"] not in click.ephemeral_text  # the button carries the whole id; the list showed 8 characters
    assert session_ids(world, "alice") == others and not world.calls("POST", r"/revoke$")
    [record] = audit_records(caplog)
    assert (record["result"], record["reason"], record["session_ids"]) == ("failed", "SessionNotFound", [])
    assert_healthy(world, bot)


@pytest.mark.real_time  # the bot's reply budget runs out, or another user cuts in, while Mattermost is slow
def test_a_session_that_ends_between_the_bots_own_read_and_its_revoke_is_reported_as_already_gone(world, bot, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    target = _first_session(world, "alice")
    world.faults.add(r"/sessions/revoke$", method="POST", delay_s=0.2, times=1)  # then Mattermost handles it

    def sign_out_meanwhile() -> None:  # the user signs out on the device once the bot has read the list
        eventually(lambda: world.calls("GET", _sessions_path("alice")(world)), "the bot's read")
        world.revoke_session(target)

    racer = threading.Thread(target=sign_out_meanwhile)
    racer.start()
    text = type_(world, bot, "alice", f"revoke {target[:8]}").visible_text
    racer.join()
    assert [e.status for e in world.calls("POST", r"/sessions/revoke$")] == [400]  # Mattermost: no such session
    assert text.startswith("That session (") and "was already signed out" in text and "✅" not in text
    records = audit_records(caplog)
    assert [(r["result"], r["reason"], r["session_ids"]) for r in records] == [("failed", "SessionAlreadyGone", [])]
    assert_healthy(world, bot)


# --- the bot's token revoked in the middle of a bulk sign-out -------------------------------------

@pytest.fixture
def crowd(world: World) -> list[dict]:
    """~incident: 16 users with 2 sessions each."""
    users = world.add_users("crowd", 16, sessions_each=2)
    world.add_channel("incident", members=[u["username"] for u in users])
    return users


@pytest.mark.real_time  # the token is cut off while Mattermost is slow to answer the first sign-outs
@pytest.mark.parametrize("how", ["revoked", "disabled"])
def test_the_bots_token_cut_off_mid_bulk_fails_the_rest_honestly(world, make_bot, crowd, caplog, how):
    caplog.set_level(logging.INFO, logger="bot.audit")
    bot = make_bot(mattermost_timeout_s=2.0, notify_targets=False)
    world.faults.add(r"/sessions/revoke/all$", method="POST", delay_s=0.1)  # slow enough to cut in
    token_id = next(t["id"] for t in world.access_tokens_of("sessionsbot") if t["token"] == world.bot_token)

    def cut_off() -> None:
        eventually(lambda: len(world.calls("POST", r"/revoke/all$")) >= 4, "the first sign-outs")
        if how == "revoked":
            world.revoke_token(world.bot_token)
        else:
            world.disable_access_token(token_id)

    cutter = threading.Thread(target=cut_off)
    cutter.start()
    text = type_(world, bot, "usermanager", "revoke-all ~incident --yes").visible_text
    cutter.join()

    records = audit_records(caplog)
    per_user = {r["target_username"]: r for r in records if r["action"] == "revoke-all"}
    done = {name for name, r in per_user.items() if r["result"] == "ok"}
    failed = {name for name, r in per_user.items() if r["result"] == "failed"}
    assert done | failed == {u["username"] for u in crowd} and done and failed
    assert {per_user[name]["reason"] for name in failed} == {"BotTokenRejected"}
    for user in crowd:  # signed out exactly when the audit says so
        assert (session_ids(world, user["username"]) == set()) == (user["username"] in done)
    assert_claims_hold(world, records)
    assert text.startswith(f"✅ Signed {len(done)} user") and f"**⚠️ Failed for {len(failed)} user" in text
    assert "rejected the sessions bot's access token" in text and "Traceback" not in text and not bot_errors(caplog)
    [summary] = [r for r in records if r["action"] == "revoke-many"]
    assert summary["result"] == "failed" and summary["reason"].endswith(f"{len(failed)} failed")

    world.faults.clear()
    assert bot.http.get(bot.url + "/healthz", timeout=5).json() == {"status": "ok"}
    ready = bot.http.get(bot.url + "/readyz", timeout=5)
    assert ready.status_code == 503 and "rejected the bot's token" in ready.json()["reason"]
    assert "rejected the sessions bot's access token" in type_(world, bot, "alice", "list").visible_text
    if how == "disabled":  # an admin enables the token again: the bot picks up where it left off
        world.enable_access_token(token_id)
        assert type_(world, bot, "alice", "list").visible_text.startswith("#### Your sessions")
        again = type_(world, bot, "usermanager", "revoke-all ~incident --yes").visible_text
        assert again.startswith(f"✅ Signed {len(failed)} user")
        assert all(session_ids(world, u["username"]) == set() for u in crowd)


# --- Mattermost slow on every call ------------------------------------------------------------------

def test_mattermost_slower_than_the_timeout_on_every_call_is_explained_then_recovers(world, bot, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    world.latency_s = 0.5
    before = session_ids(world, "bob")
    for text in ("list", "revoke-all --yes", "tokens", "revoke-all @alice @bob --yes"):
        shown = type_(world, bot, "bob" if "@" not in text else "usermanager", text).visible_text
        assert f"did not answer within {TIMEOUT_S:g} s" in shown and "✅" not in shown, shown
    records = audit_records(caplog)
    assert records and all(r["result"] == "failed" for r in records), records
    assert not bot_errors(caplog)
    world.latency_s = 0.0
    assert session_ids(world, "bob") == before  # every first call timed out: nothing was even tried
    assert_claims_hold(world, records)
    assert_healthy(world, bot)


def test_a_body_that_is_json_but_not_a_session_list_is_never_shown_as_one(world, bot):
    for body in (b"null", b"[1, 2]", b'[{"user_id": "x"}]', b'"sessions"', b'{"id": "x"}'):
        world.faults.add(_sessions_path("bob")(world), method="GET", status=200, body=body, times=1)
        text = type_(world, bot, "bob", "list").visible_text
        assert "not what the sessions bot expected" in text, (body, text)
    assert_healthy(world, bot)
