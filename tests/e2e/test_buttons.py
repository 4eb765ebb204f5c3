"""Buttons end to end: Mattermost shows the bot's buttons, a user clicks, the bot re-checks everything and acts."""
from __future__ import annotations

import json
import logging

import pytest

from bot.core.commands import RevokeAll, RevokeSession
from bot.sandbox import buttons_of, click_button, run_slash_command, send_action
from bot.web.buttons import ButtonSigner
from tests.support.lookups import audit_records, session_ids, uid
from tests.support.settings import BOT_SECRET, COMMAND_TOKEN, actions_url


@pytest.fixture
def type_as(world, button_bot):
    def run(username: str, text: str):
        return run_slash_command(world, button_bot.url + "/slash/sessions", COMMAND_TOKEN, username, text)

    return run


def buttons(world, post_id: str) -> list[str]:
    return [b["name"] for b in buttons_of(world.ephemeral_post(post_id))]


def latest_ephemeral(world, username: str) -> dict:
    return world.ephemeral_posts_for(uid(world, username))[-1]


def most_recent_session(world, username: str) -> dict:
    return max(world.sessions_of(uid(world, username)), key=lambda s: s["last_activity_at"])


# --- what is shown -----------------------------------------------------------------------------

def test_list_shows_a_sign_out_button_per_session_and_one_for_everywhere(type_as, world):
    result = type_as("alice", "list")
    names = buttons(world, result.post_id)
    assert names.count("Sign out") == len(session_ids(world, "alice"))
    assert names[-1] == "Sign out everywhere"
    assert "Chrome on Mac OS" in json.dumps(world.ephemeral_post(result.post_id))


def test_buttons_carry_only_an_opaque_signed_context(type_as, world):
    result = type_as("alice", "list")
    assert "integration" not in json.dumps(world.ephemeral_post(result.post_id))  # Mattermost strips it for clients


def test_without_bot_public_url_there_are_no_buttons(slash, world):
    result = slash("alice", "list")
    assert world.ephemeral_post(result.post_id)["props"].get("attachments") in (None, [])
    assert "| Device |" in result.visible_text


# --- clicking ----------------------------------------------------------------------------------

def test_clicking_sign_out_revokes_that_session_and_shows_what_remains(type_as, world):
    target = most_recent_session(world, "alice")  # the first card is the most recently active session
    post_id = type_as("alice", "list").post_id
    click = click_button(world, post_id, buttons_of(world.ephemeral_post(post_id))[0]["id"], "alice")
    assert click.error is None
    assert target["id"] not in session_ids(world, "alice")
    shown = latest_ephemeral(world, "alice")
    assert shown["message"].startswith("✅ Signed out of Chrome on Mac OS")
    assert [b["name"] for b in buttons_of(shown)].count("Sign out") == len(session_ids(world, "alice"))


def test_revoke_all_asks_for_confirmation_with_buttons_and_cancel_changes_nothing(type_as, world):
    before = session_ids(world, "bob")
    post_id = type_as("bob", "revoke-all").post_id
    assert buttons(world, post_id) == ["Sign out everywhere", "Cancel"]
    click = click_button(world, post_id, "Cancel", "bob")
    assert click.ephemeral_text == "Cancelled: nothing was signed out."
    assert session_ids(world, "bob") == before


def test_confirming_revoke_all_with_the_button_signs_out_everywhere(type_as, world):
    post_id = type_as("bob", "revoke-all").post_id
    click = click_button(world, post_id, "Sign out everywhere", "bob")
    assert click.ephemeral_text.startswith("✅ Signed you out of")
    assert session_ids(world, "bob") == set()


def test_sign_out_everywhere_on_a_list_first_asks_for_confirmation(type_as, world):
    post_id = type_as("alice", "list").post_id
    click = click_button(world, post_id, "Sign out everywhere", "alice")
    assert click.error is None and session_ids(world, "alice")
    confirmation = latest_ephemeral(world, "alice")
    assert confirmation["message"].startswith("**This will sign you out of")
    click_button(world, confirmation["id"], "Sign out everywhere", "alice")
    assert session_ids(world, "alice") == set()


def test_clicking_sign_out_twice_is_harmless(type_as, world):
    post_id = type_as("alice", "list").post_id
    first = buttons_of(world.ephemeral_post(post_id))[0]["id"]
    click_button(world, post_id, first, "alice")
    again = click_button(world, post_id, first, "alice")
    assert "No session of yours" in again.ephemeral_text


# --- forged, altered, expired, foreign ---------------------------------------------------------

def sign(viewer_id: str, command, *, age_s: float = 0) -> dict:
    import time

    return {"signed": ButtonSigner(BOT_SECRET, clock=lambda: time.time() - age_s).sign(viewer_id, command)}


def test_forged_context_is_refused_and_nothing_is_revoked(button_bot, world):
    before = session_ids(world, "alice")
    result = send_action(world, actions_url(button_bot.url), "alice", {"signed": "forged", "do": "revoke-all", "yes": True})
    assert "not made by the sessions bot" in result.ephemeral_text
    assert session_ids(world, "alice") == before


def test_altered_context_is_refused(button_bot, world):
    context = sign(uid(world, "alice"), RevokeSession(sorted(session_ids(world, "alice"))[0], None))
    context["signed"] = context["signed"][:-2] + ("AA" if not context["signed"].endswith("AA") else "BB")
    result = send_action(world, actions_url(button_bot.url), "alice", context)
    assert "not made by the sessions bot" in result.ephemeral_text


def test_context_signed_with_another_secret_is_refused(button_bot, world):
    other = {"signed": ButtonSigner("another-secret-of-at-least-32-chars!!").sign(uid(world, "alice"), RevokeAll(None, True))}
    assert "not made by the sessions bot" in send_action(world, actions_url(button_bot.url), "alice", other).ephemeral_text
    assert session_ids(world, "alice")


def test_expired_button_is_refused(button_bot, world):
    context = sign(uid(world, "bob"), RevokeAll(None, True), age_s=16 * 60)
    result = send_action(world, actions_url(button_bot.url), "bob", context)
    assert "expired" in result.ephemeral_text and "15 minutes" in result.ephemeral_text
    assert session_ids(world, "bob")


def test_button_made_for_someone_else_is_refused_even_through_a_crafted_post(button_bot, world):
    context = sign(uid(world, "alice"), RevokeAll(None, True))  # alice's own "sign out everywhere"
    result = send_action(world, actions_url(button_bot.url), "bob", context)  # bob clicks a copy of it
    assert "made for someone else" in result.ephemeral_text
    assert session_ids(world, "alice") and session_ids(world, "bob")


def test_user_who_lost_edit_other_users_after_the_list_is_refused_at_click_time(type_as, world):
    post_id = type_as("usermanager", "list @alice").post_id
    world.set_roles("usermanager", "system_user")  # demoted between list and click
    click = click_button(world, post_id, buttons_of(world.ephemeral_post(post_id))[0]["id"], "usermanager")
    assert "edit_other_users" in click.ephemeral_text
    assert len(session_ids(world, "alice")) == 4


def test_action_requests_that_are_not_json_or_have_no_user_get_4xx(button_bot):

    assert button_bot.http.post(actions_url(button_bot.url), data="x", timeout=5).status_code == 415
    assert button_bot.http.post(actions_url(button_bot.url), data="{not json", headers={"Content-Type": "application/json"}, timeout=5).status_code == 400
    assert button_bot.http.post(actions_url(button_bot.url), json={"context": {}}, timeout=5).status_code == 400


# --- notifications ------------------------------------------------------------------------------

def dm_posts(world, username: str) -> list[dict]:
    channel = world.direct_channel_between(world.bot_user_id, uid(world, username))
    return world.posts_in(channel["id"]) if channel else []


def test_target_is_told_who_signed_them_out_of_what(type_as, world):
    target = sorted(session_ids(world, "alice"))[0]
    type_as("usermanager", f"revoke {target} @alice")
    [notice] = dm_posts(world, "alice")
    assert notice["user_id"] == world.bot_user_id
    assert notice["message"].startswith("🔐 @usermanager signed you out of 1 session on ")
    assert "If you did not expect this" in notice["message"]


def test_target_is_told_about_revoke_all_including_tokens(type_as, world):
    type_as("usermanager", "revoke-all @alice --yes")
    [notice] = dm_posts(world, "alice")
    assert "signed you out of all 4 sessions" in notice["message"] and "personal access tokens" in notice["message"]


def test_signing_yourself_out_sends_no_notice(type_as, world):
    type_as("bob", "revoke-all --yes")
    assert dm_posts(world, "bob") == []


def test_notifications_can_be_switched_off(make_bot, world):
    bot = make_bot(notify_targets=False)
    run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "usermanager", "revoke-all @alice --yes")
    assert session_ids(world, "alice") == set() and dm_posts(world, "alice") == []


# --- audit --------------------------------------------------------------------------------------

def test_every_revocation_writes_one_audit_line_with_who_what_where(type_as, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    target = sorted(session_ids(world, "alice"))[0]
    type_as("usermanager", f"revoke {target[:8]} @alice")
    [record] = audit_records(caplog)
    assert record["action"] == "revoke" and record["result"] == "ok"
    assert record["actor_id"] == uid(world, "usermanager") and record["actor_username"] == "usermanager"
    assert record["target_id"] == uid(world, "alice") and record["target_username"] == "alice"
    assert record["session_ids"] == [target]
    assert record["channel_id"] == world.channel_by_name("town-square")["id"] and record["team_id"]
    assert record["time"].endswith("+00:00") and record["via"] == "slash"


def test_refusals_and_listing_others_are_audited_but_listing_yourself_is_not(type_as, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    type_as("alice", "list")
    type_as("bob", "list @alice")
    type_as("usermanager", "revoke-all @sysadmin --yes")
    type_as("usermanager", "list @alice")
    records = audit_records(caplog)
    assert [(r["actor_username"], r["action"], r["result"], r["reason"]) for r in records] == [
        ("bob", "list", "refused", "needs_edit_other_users"),
        ("usermanager", "revoke-all", "refused", "target_is_system_admin"),
        ("usermanager", "list", "ok", ""),
    ]


def test_forged_clicks_are_audited_by_id_without_asking_mattermost_or_trusting_the_requests_name(button_bot, world, caplog):
    """A button the bot did not sign runs nothing, so its clicker is not looked up: the line names the id only
    (never the ``user_name`` the request claims)."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    send_action(world, actions_url(button_bot.url), "bob", {"signed": "nope"})
    [record] = audit_records(caplog)
    assert (record["action"], record["result"], record["reason"]) == ("button", "refused", "ForgedButton")
    assert (record["actor_id"], record["actor_username"]) == (uid(world, "bob"), "")
    assert world.exchanges == []


def test_audit_channel_gets_a_readable_line(make_bot, world):
    channel = world.add_channel("security-audit", members=["sessionsbot", "sysadmin"])
    bot = make_bot(audit_channel_id=channel["id"])
    run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "usermanager", "revoke-all @alice --yes")
    [line] = world.posts_in(channel["id"])
    assert line["message"].startswith("🔐 `@usermanager` · revoke-all · `@alice` · **ok**")


def test_audit_channel_down_never_breaks_the_action(make_bot, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    channel = world.add_channel("security-audit", members=["sessionsbot"])
    world.faults.add(r"^/api/v4/posts$", method="POST", status=500)
    bot = make_bot(audit_channel_id=channel["id"])
    result = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "usermanager", "revoke-all @alice --yes")
    assert result.visible_text.startswith("✅ Signed @alice out of") and session_ids(world, "alice") == set()
    assert [r["result"] for r in audit_records(caplog)] == ["ok"]


def test_naming_yourself_is_audited_as_yourself(type_as, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    target = sorted(session_ids(world, "alice"))[0]
    type_as("alice", f"revoke {target} @alice")
    [record] = audit_records(caplog)
    assert (record["target_id"], record["target_username"], record["result"]) == (uid(world, "alice"), "alice", "ok")


def test_a_refusal_before_lookup_audits_the_name_as_typed(type_as, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    type_as("bob", "revoke-all alice@example.com --yes")
    [record] = audit_records(caplog)
    assert (record["target_id"], record["target_username"], record["result"]) == ("", "alice@example.com", "refused")


def test_an_unexpected_bug_during_a_click_is_a_friendly_message_not_a_500(button_bot, world, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.features.single.run", explode)
    result = send_action(world, actions_url(button_bot.url), "alice", sign(uid(world, "alice"), RevokeAll(None, True)))
    assert "Something went wrong in the sessions bot (reference `" in result.ephemeral_text
    assert result.error is None


# --- filtered revoke-all ------------------------------------------------------------------------

DAY_MS = 24 * 60 * 60 * 1000


def add_stale_session(world, username: str, *, inactive_days: int) -> dict:
    user = uid(world, username)
    now = world.now_ms()
    return world.add_session(user, create_ms=now - 90 * DAY_MS, last_activity_ms=now - inactive_days * DAY_MS,
                             props=world.login_props(user, platform="Linux", os="Linux", browser="Firefox/126.0"))


def test_confirming_a_filtered_revoke_all_with_the_button_signs_out_only_the_selection(type_as, world):
    stale = [add_stale_session(world, "alice", inactive_days=days) for days in (40, 50)]
    fresh = session_ids(world, "alice") - {s["id"] for s in stale}
    post_id = type_as("usermanager", "revoke-all @alice --inactive 30d").post_id
    assert buttons(world, post_id) == ["Sign out these sessions", "Cancel"]
    click = click_button(world, post_id, "Sign out these sessions", "usermanager")
    assert click.ephemeral_text.startswith("✅ Signed @alice out of 2 sessions (sessions inactive for more than 30 days):")
    assert session_ids(world, "alice") == fresh
    assert world.calls(path_regex=r"/revoke/all$") == []


def test_the_click_selects_afresh_from_the_sessions_as_they_are_then(type_as, world):
    vanishing = add_stale_session(world, "alice", inactive_days=40)
    post_id = type_as("alice", "revoke-all --inactive 30d").post_id
    world.revoke_session(vanishing["id"])  # signed out elsewhere after the preview
    newcomer = add_stale_session(world, "alice", inactive_days=60)  # went stale after the preview
    click = click_button(world, post_id, "Sign out these sessions", "alice")
    assert click.ephemeral_text.startswith("✅ Signed you out of 1 session (")
    assert newcomer["id"] not in session_ids(world, "alice") and len(session_ids(world, "alice")) == 4


def test_a_filtered_list_offers_to_sign_out_just_those_sessions(type_as, world):
    stale = add_stale_session(world, "alice", inactive_days=40)
    post_id = type_as("alice", "list --inactive 30d").post_id
    assert buttons(world, post_id) == ["Sign out", "Sign out all of these"]
    click_button(world, post_id, "Sign out all of these", "alice")
    confirmation = latest_ephemeral(world, "alice")
    assert confirmation["message"].startswith("**This will sign you out of 1 session** (sessions inactive for more")
    click_button(world, confirmation["id"], "Sign out these sessions", "alice")
    assert stale["id"] not in session_ids(world, "alice") and len(session_ids(world, "alice")) == 4


def test_a_filtered_confirm_button_is_still_checked_against_todays_permissions(type_as, world):
    add_stale_session(world, "alice", inactive_days=40)
    post_id = type_as("usermanager", "revoke-all @alice --inactive 30d").post_id
    world.set_roles("usermanager", "system_user")
    click = click_button(world, post_id, "Sign out these sessions", "usermanager")
    assert "edit_other_users" in click.ephemeral_text and len(session_ids(world, "alice")) == 5


def test_a_filtered_revoke_all_audits_the_filter_and_exactly_the_sessions_revoked(type_as, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    stale = [add_stale_session(world, "alice", inactive_days=days) for days in (40, 50)]
    world.faults.add(r"/sessions/revoke$", method="POST", status=500, times=1)  # the first one fails
    type_as("usermanager", "revoke-all @alice --inactive 30d --yes")
    type_as("usermanager", "revoke-all @alice --inactive 30d --yes")  # the retry signs out what is left
    failed, ok = audit_records(caplog)
    assert (failed["result"], failed["reason"], failed["session_ids"]) == ("failed", "UpstreamRejected", [])
    assert (ok["result"], sorted(ok["session_ids"])) == ("ok", sorted(s["id"] for s in stale))
    assert failed["filter"] == ok["filter"] == "sessions inactive for more than 30 days"


def test_the_target_is_told_how_many_sessions_a_filtered_revoke_all_signed_out(type_as, world):
    add_stale_session(world, "alice", inactive_days=40)
    add_stale_session(world, "alice", inactive_days=50)
    type_as("usermanager", "revoke-all @alice --inactive 30d --yes")
    [notice] = dm_posts(world, "alice")
    assert notice["message"].startswith("🔐 @usermanager signed you out of 2 sessions on ")
    assert "all 2" not in notice["message"] and "Firefox on Linux" in notice["message"]


def test_an_unfiltered_revoke_all_audits_no_filter(type_as, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    type_as("usermanager", "revoke-all @alice --yes")
    [record] = audit_records(caplog)
    assert record["filter"] == "" and len(record["session_ids"]) == 4
