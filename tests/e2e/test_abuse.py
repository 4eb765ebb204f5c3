"""Abuse by a legitimate user, end to end: looking at others, refusals, previews and `list --stale` are limited
per user (LOOKUP_RATE_LIMIT, more generously than revoking), a request over a limit costs Mattermost nothing
(no call, no audit-channel line, only the audit log's line), the caller's own `list` is never limited, and the
audit channel's lines notify nobody (judged by the stand-in's copy of the server's mention rule)."""
from __future__ import annotations

import logging

import pytest

from bot.ops.ratelimit import DEFAULT_LOOKUP_LIMIT
from bot.sandbox import SlashResult, World, run_slash_command
from tests.support.lookups import audit_records, session_ids, uid
from tests.support.settings import COMMAND_TOKEN

SLOW_DOWN = "⏳ Slow down: you can look at other users' sessions and tokens"


@pytest.fixture
def audit_channel(world: World) -> dict:
    """The security team's channel; alice and bob also read it, with the notification settings people pick."""
    channel = world.add_channel("security-audit", members=["sessionsbot", "sysadmin", "usermanager", "alice", "bob"])
    for name in ("alice", "bob", "usermanager", "sysadmin"):  # "Your non case-sensitive username", first name
        world.set_notify_props(name, mention_keys=f"{name},@{name}", first_name="true")
    return channel


class Typist:
    """Types commands into the bot, counting what each one cost: Mattermost calls and audit-channel lines."""

    def __init__(self, world: World, url: str, channel_id: str) -> None:
        self.world, self.url, self.channel_id = world, url, channel_id
        self.calls: list[int] = []
        self.lines: list[int] = []

    def __call__(self, username: str, text: str) -> SlashResult:
        calls, lines = len(self.world.exchanges), len(self.world.posts_in(self.channel_id))
        result = run_slash_command(self.world, self.url, COMMAND_TOKEN, username, text)
        self.calls.append(len(self.world.exchanges) - calls)
        self.lines.append(len(self.world.posts_in(self.channel_id)) - lines)
        return result


@pytest.fixture
def typist(world, make_bot, audit_channel):
    def start(**settings) -> Typist:
        bot = make_bot(audit_channel_id=audit_channel["id"], **settings)
        return Typist(world, bot.url + "/slash/sessions", audit_channel["id"])

    return start


@pytest.mark.parametrize("configured, limit", [({}, 20), ({"lookup_rate_limit": "5 per minute"}, 5)])
def test_a_burst_of_30_refused_lists_of_another_user_stops_at_the_limit_and_then_costs_mattermost_nothing(
        typist, world, caplog, configured, limit):
    """Regression: 30 refused `/sessions list sysadmin` in 0.3 s posted 30 audit-channel lines, each naming the target."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    assert DEFAULT_LOOKUP_LIMIT == "20 per minute"
    type_ = typist(**configured)
    replies = [type_("bob", "list sysadmin") for _ in range(30)]
    assert all("edit_other_users" in r.visible_text for r in replies[:limit])
    assert all(r.status == 200 and r.ephemeral and r.visible_text.startswith(SLOW_DOWN) for r in replies[limit:])
    assert f"at most {limit} per minute" in replies[-1].visible_text
    assert "Your own `/sessions list` still works" in replies[-1].visible_text
    assert sum(type_.lines) == limit and type_.lines[:limit] == [1] * limit
    assert all(calls > 0 for calls in type_.calls[:limit]) and type_.calls[limit:] == [0] * (30 - limit)
    records = audit_records(caplog)
    assert [r["reason"] for r in records] == ["needs_edit_other_users"] * limit + ["rate_limited"] * (30 - limit)
    assert {(r["action"], r["actor_id"], r["target_username"]) for r in records[limit:]} == {
        ("list", uid(world, "bob"), "sysadmin")}


@pytest.mark.parametrize("who, text", [
    ("usermanager", "revoke-all @alice"),          # a revoke-all preview of another user
    ("usermanager", "revoke-all @alice @bob"),     # a bulk preview
    ("usermanager", "revoke-all ~town-square"),    # a bulk preview by channel
    ("sysadmin", "revoke-all --everyone"),         # the everyone preview
    ("sysadmin", "list --stale"),                  # the team's stale sessions
    ("usermanager", "tokens @alice"),              # another user's tokens
    ("bob", "list --stale"),                       # refused: bob may not act on others
    ("bob", "revoke-all --everyone"),              # refused: no manage_system
])
def test_previews_and_stale_lists_stop_at_the_limit_with_no_call_and_no_line(typist, world, who, text):
    type_ = typist(lookup_rate_limit="3 per minute")
    before = {name: session_ids(world, name) for name in ("alice", "bob")}
    replies = [type_(who, text) for _ in range(5)]
    assert not any(r.visible_text.startswith("⏳") for r in replies[:3])
    assert all(r.visible_text.startswith(SLOW_DOWN) for r in replies[3:])
    assert type_.calls[3:] == [0, 0] and type_.lines[3:] == [0, 0] and all(type_.calls[:3])
    assert {name: session_ids(world, name) for name in ("alice", "bob")} == before  # previews sign no one out


def test_every_kind_of_lookup_counts_against_one_allowance(typist):
    type_ = typist(lookup_rate_limit="4 per minute")
    for text in ("list @alice", "tokens @bob", "revoke-all @alice", "list --stale"):
        assert not type_("usermanager", text).visible_text.startswith("⏳")
    assert type_("usermanager", "revoke-all @bob @alice").visible_text.startswith(SLOW_DOWN)


def test_the_callers_own_list_tokens_and_previews_are_never_limited(typist, world):
    """Own commands read what Mattermost lets the caller read themself and post no audit line; the own revoke-all
    preview is how a lost phone gets signed out, so none of them wait on the lookup limit."""
    type_ = typist(lookup_rate_limit="1 per minute")
    assert "edit_other_users" in type_("bob", "list @alice").visible_text
    assert type_("bob", "list @alice").visible_text.startswith(SLOW_DOWN)
    for _ in range(40):
        assert type_("bob", "list").visible_text.startswith("#### Your sessions")
    assert type_("bob", "list --platform web").visible_text.startswith("#### Your")
    assert not type_("bob", "tokens").visible_text.startswith("⏳")
    assert type_("bob", "revoke-all").visible_text.startswith("**This will sign you out of")
    assert type_("bob", "revoke-all --yes").visible_text.startswith("✅")
    assert session_ids(world, "bob") == set()


def test_one_users_lookup_limit_never_touches_another_user_or_the_revoking_limit(typist, world):
    type_ = typist(lookup_rate_limit="2 per minute")
    for _ in range(2):
        type_("usermanager", "list @alice")
    assert type_("usermanager", "list @alice").visible_text.startswith(SLOW_DOWN)
    assert type_("sysadmin", "list @alice").visible_text.startswith("#### @alice's sessions")
    assert type_("usermanager", "revoke-all @alice --yes").visible_text.startswith("✅ Signed @alice out of")
    assert session_ids(world, "alice") == set()


def test_a_revoke_over_the_limit_costs_mattermost_nothing_either(typist, world, caplog):
    """Before, each revoking request over REVOKE_RATE_LIMIT still posted an audit-channel line."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    type_ = typist(revoke_rate_limit="2 per minute")
    replies = [type_("bob", "revoke-all @sysadmin --yes") for _ in range(6)]
    assert all(r.visible_text.startswith("⏳ Slow down: you can sign sessions out at most 2 per minute")
               for r in replies[2:])
    assert type_.lines == [1, 1, 0, 0, 0, 0] and type_.calls[2:] == [0] * 4
    assert [r["reason"] for r in audit_records(caplog)][2:] == ["rate_limited"] * 4
    assert session_ids(world, "sysadmin")


# --- the audit channel notifies nobody ----------------------------------------------------------------------------

@pytest.mark.parametrize("who, text", [
    ("bob", "list sysadmin"), ("bob", "list @alice"), ("bob", "list here"), ("bob", "list channel."),
    ("bob", "list all."), ("bob", "tokens @usermanager"), ("bob", "revoke-all alice@example.com --yes"),
    ("usermanager", "list @alice"), ("usermanager", "revoke-all @alice --yes"),
    ("usermanager", "revoke-all @alice @bob --yes"), ("usermanager", "revoke-all ~town-square"),
    ("sysadmin", "list --stale"), ("sysadmin", "revoke-all --everyone"), ("sysadmin", "disable-tokens @bob"),
])
def test_audit_channel_lines_notify_nobody_yet_name_everyone_recognisably(typist, world, audit_channel, who, text):
    """Regression: each line wrote `@bob · list · @sysadmin`, and Mattermost notified both of them."""
    typist()(who, text)
    lines = world.posts_in(audit_channel["id"])
    assert lines, "the command was audited"
    for line in lines:
        verdict = world.mentions_in(line["id"])
        assert verdict.user_ids == frozenset() and verdict.channel_wide == frozenset(), line["message"]
        assert line["message"].startswith(f"🔐 `@{who}` · ")


def test_the_audit_line_still_names_the_target_as_the_webapp_shows_a_username(typist, world, audit_channel):
    typist()("usermanager", "revoke-all @alice --yes")
    [line] = world.posts_in(audit_channel["id"])
    assert line["message"].startswith("🔐 `@usermanager` · revoke-all · `@alice` · **ok**, 4 session(s) · via slash")
