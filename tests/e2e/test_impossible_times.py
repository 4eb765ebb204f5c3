"""A session whose times Mattermost could never send (far in the future, negative, past what a date can hold)
shows those times as "unknown", in every reply that shows a time, and never breaks a command: the bot over
HTTP, the stand-in holding such a session.

Mattermost sets ``create_at``, ``last_activity_at`` and ``expires_at`` from its own clock (``model/session.go``
``PreSave``, ``SetExpireInHours``), so such a value only comes from a damaged store or something between the bot
and the server; either way, the rest of the reply must stand.
"""
from __future__ import annotations

import json
import re

import pytest

from bot.sandbox import World, buttons_of, click_button, run_slash_command
from tests.support.lookups import session_ids, uid
from tests.support.settings import COMMAND_TOKEN

#: Times no Mattermost server sends, in milliseconds.
IMPOSSIBLE = {"far future": 10**16, "negative": -1, "far past": -(10**16), "the largest int64": 2**63 - 1}


@pytest.fixture(params=list(IMPOSSIBLE), ids=list(IMPOSSIBLE))
def odd(request, world: World) -> dict:
    """A Firefox session of alice's whose every time is impossible."""
    user = uid(world, "alice")
    ms = IMPOSSIBLE[request.param]
    return world.add_session(user, create_ms=ms, last_activity_ms=ms, expires_ms=ms,
                             props=world.login_props(user, platform="Linux", os="Linux", browser="Firefox/126.0"))


def row_of(text: str, session_id: str) -> list[str]:
    """The cells of the list table's row for the session (its shown id is at least its first 8 characters)."""
    [row] = [line for line in text.splitlines() if line.startswith("|") and f"`{session_id[:8]}" in line]
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_the_list_shows_every_impossible_time_as_unknown_and_the_other_sessions_as_usual(slash, world, odd):
    result = slash("alice", "list")
    assert result.status == 200 and result.error is None
    text = result.visible_text
    assert text.startswith(f"#### Your sessions ({len(session_ids(world, 'alice'))})")
    signed, active, expires = row_of(text, odd["id"])[4:7]
    assert (signed, active, expires) == ("unknown", "unknown", "unknown")
    chrome = row_of(text, max(world.sessions_of(uid(world, "alice")), key=lambda s: s["last_activity_at"]
                               if s["id"] != odd["id"] else -1)["id"])
    assert "ago" in chrome[5] and "unknown" not in chrome


def test_its_card_shows_unknown_times_and_its_sign_out_button_signs_just_it_out(make_bot, world, odd):
    bot = make_bot()
    shown = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "alice", "list")
    post = world.ephemeral_post(shown.post_id)
    cards = post["props"]["attachments"]
    [card] = [c for c in cards if any(f["title"] == "ID" and odd["id"][:8] in f["value"] for f in c.get("fields") or [])]
    assert {f["title"]: f["value"] for f in card["fields"] if f["title"] != "ID"} == {
        "Signed in (UTC)": "unknown", "Last active": "unknown", "Expires": "unknown"}
    others = session_ids(world, "alice") - {odd["id"]}
    click = click_button(world, shown.post_id, card["actions"][0]["id"], "alice")
    assert click.error is None and click.status == 200
    assert session_ids(world, "alice") == others  # that one signed out, and only that one
    latest = world.ephemeral_posts_for(uid(world, "alice"))[-1]
    assert latest["message"].startswith("✅ Signed out of Firefox on Linux, last active unknown.")
    assert [b["name"] for b in buttons_of(latest)].count("Sign out") == len(others)


def test_revoking_it_by_id_says_its_last_activity_is_unknown(slash, world, odd):
    text = slash("alice", f"revoke {odd['id'][:8]}").visible_text
    assert text.startswith("✅ Signed out of Firefox on Linux, last active unknown.")
    assert odd["id"] not in session_ids(world, "alice")


def test_a_preview_of_signing_everything_out_lists_it_as_last_active_at_an_unknown_time(slash, world, odd):
    text = slash("usermanager", "revoke-all @alice").visible_text
    assert text.startswith("**This will sign @alice out of 5 sessions")
    assert "- 🌐 Firefox on Linux, last active unknown" in text
    assert len(session_ids(world, "alice")) == 5


def test_list_stale_counts_a_session_of_unknown_activity_as_stale_and_says_unknown(slash, world, odd):
    text = slash("sysadmin", "list --stale 7d").visible_text
    [line] = [line for line in text.splitlines() if line.startswith("- @alice:")]
    assert line.endswith("the oldest last used unknown"), line
    assert "`/sessions revoke-all" in text and "@alice" in text.rsplit("To sign out just these sessions", 1)[1]


def test_a_filtered_sign_out_of_inactive_sessions_takes_it_as_infinitely_old(slash, world, odd):
    text = slash("alice", "revoke-all --inactive 30d --yes").visible_text
    assert text.startswith("✅ Signed you out of 1 session (sessions inactive for more than 30 days):")
    assert "Firefox on Linux, last active unknown" in text
    assert odd["id"] not in session_ids(world, "alice") and len(session_ids(world, "alice")) == 4


#: (Not the largest int64: the stand-in would make the session a first use opens expire past it.)
@pytest.mark.parametrize("ms", [10**16, -1, -(10**16)], ids=["far future", "negative", "far past"])
def test_a_token_whose_last_use_is_an_impossible_time_was_last_used_at_an_unknown_time(slash, world, ms):
    world.add_access_token("alice", "odd clock", last_used_ms=ms)
    text = slash("sysadmin", "tokens @alice").visible_text
    [line] = [line for line in text.splitlines() if "`odd clock`" in line]
    assert "last used unknown" in line, line


def test_no_reply_about_such_a_session_breaks_or_leaks_the_raw_value(slash, world, odd):
    for who, text in (("alice", "list"), ("alice", "revoke-all"), ("usermanager", "list @alice"),
                      ("sysadmin", "list --stale 1d")):
        result = slash(who, text)
        assert result.status == 200 and result.error is None, (text, result)
        shown = result.visible_text + json.dumps(world.ephemeral_post(result.post_id))
        assert "went wrong" not in shown and not re.search(r"\b(10000000000000000|9223372036854775807)\b", shown)
