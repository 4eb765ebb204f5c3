"""Bulk sign-outs during an incident, end to end: `revoke-all @alice @bob ~channel`, previewed, confirmed,
permission-checked per target exactly as for one target, over real HTTP against the stand-in."""
from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.sandbox import buttons_of, click_button, run_slash_command
from tests.support.lookups import audit_records, live, uid
from tests.support.settings import COMMAND_TOKEN
from tests.support.waiting import eventually


@pytest.fixture
def incident(world) -> dict[str, Any]:
    """~incident: alice, bob, sysadmin (a system admin) and usermanager (the admin who will type)."""
    return world.add_channel("incident", members=("alice", "bob", "sysadmin", "usermanager"))


def test_preview_counts_users_and_sessions_lists_skips_and_changes_nothing(slash, world, incident):
    before = {name: live(world, name) for name in ("alice", "bob", "sysadmin")}
    text = slash("usermanager", "revoke-all ~incident @nobody-here").visible_text
    assert text.startswith(f"**This will sign 2 users out of {before['alice'] + before['bob']} sessions**:")
    assert f"- @alice: {before['alice']} sessions" in text and f"- @bob: {before['bob']} sessions" in text
    assert "- `@sysadmin`: system admin: needs manage_system" in text
    assert "- `@nobody-here`: no such user" in text
    assert "- `@usermanager`: that's you" in text
    assert "To go ahead, run `/sessions revoke-all @nobody-here ~incident --yes`." in text
    assert {name: live(world, name) for name in before} == before


def test_confirmed_bulk_sign_out_signs_out_everyone_allowed_and_no_one_else(slash, world, incident):
    admin_sessions = live(world, "sysadmin")
    text = slash("usermanager", "revoke-all ~incident --yes").visible_text
    assert text.startswith("✅ Signed 2 users out of")
    assert live(world, "alice") == 0 and live(world, "bob") == 0
    assert live(world, "sysadmin") == admin_sessions and live(world, "usermanager") > 0


def test_a_session_that_ended_before_its_revoke_is_never_counted_audited_or_announced_as_signed_out(
        world, make_bot, incident, caplog):
    """A 400 from revoke means the session was not found: Mattermost signed nothing out, so the bot claims
    nothing for it (before, a bulk sign-out counted it, audited its id and told the user about it)."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    bot = make_bot()
    chrome = {"platform": "Windows", "os": "Windows 10", "browser": "Chrome/124.0", "isMobile": "false"}
    ended, kept = (world.add_session(uid(world, "bob"), props=chrome) for _ in range(2))
    world.faults.add(rf"^/api/v4/users/{uid(world, 'bob')}/sessions/revoke$", method="POST", times=1,
                     before=lambda: world.revoke_session(ended["id"]))  # bob signs out on that browser meanwhile
    text = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "usermanager",
                             "revoke-all @alice @bob --platform web --yes").visible_text
    bobs = next(r for r in audit_records(caplog) if r["target_username"] == "bob")
    assert ended["id"] not in bobs["session_ids"] and bobs["result"] == "ok"
    assert "Already signed out meanwhile, so not by this command: 1 session." in text
    confirmed = sum(len(r["session_ids"]) for r in audit_records(caplog) if r["action"] == "revoke-all")
    assert f"out of {confirmed} session" in text
    bob_dm = world.direct_channel_between(uid(world, "sessionsbot"), uid(world, "bob"))
    told = "\n".join(p["message"] for p in world.posts_in(bob_dm["id"]))
    assert kept["id"] in bobs["session_ids"] and told.count("\n- ") == len(bobs["session_ids"])  # one line each


def test_a_400_for_sessions_still_there_is_a_failure_never_a_sign_out_audited_or_announced(
        world, make_bot, incident, caplog):
    """Regression: Mattermost answers 400 for any store error too (``GetSessionById``); a bulk sign-out took each
    for "signed out" ("Signed 2 users out of 3 sessions", an ``ok`` audit line with the ids, a DM to each user)
    while every session was still there. Now each is read again, and still there, it failed."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    bot = make_bot()
    before = {name: live(world, name) for name in ("alice", "bob")}
    world.faults.add(r"/sessions/revoke$", method="POST", status=400)  # every one, for as long as it lasts
    text = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "usermanager",
                             "revoke-all @alice @bob --platform web,desktop,mobile --yes").visible_text or ""
    assert {name: live(world, name) for name in before} == before
    assert "✅" not in text and "still signed in" in text and "meanwhile" not in text
    mine = [r for r in audit_records(caplog) if r["target_username"] in ("alice", "bob")]
    assert sorted((r["result"], r["reason"], tuple(r["session_ids"])) for r in mine) == [
        ("failed", "StillSignedIn", ())] * 2
    for name in ("alice", "bob"):  # nobody is told they were signed out
        dm = world.direct_channel_between(uid(world, name), world.bot_user_id)
        assert dm is None or not world.posts_in(dm["id"])


def test_a_caller_without_edit_other_users_is_refused_before_anything_is_looked_up(slash, world, incident):
    text = slash("bob", "revoke-all @alice ~incident --yes").visible_text
    assert "**edit_other_users**" in text and live(world, "alice") > 0
    looked_up = {e.path for e in world.exchanges}
    assert not any("/channels/" in path or "/users/username/" in path for path in looked_up)


def test_a_private_channel_the_caller_is_not_in_and_may_not_read_reads_as_missing(slash, world):
    world.revoke_permission("system_user_manager", "read_channel")  # the seed's user manager has it (ancillary)
    world.add_channel("secret-ops", members=("alice",), private=True)
    text = slash("usermanager", "revoke-all ~secret-ops @bob").visible_text
    assert "- `~secret-ops`: no such channel that you can see in this team" in text
    assert "alice" not in text


def test_a_system_admin_signs_out_a_private_channel_they_are_not_in(slash, world):
    world.add_channel("secret-ops", members=("alice", "otheradmin"), private=True)
    text = slash("sysadmin", "revoke-all ~secret-ops --yes").visible_text
    assert text.startswith("✅ Signed 2 users out of") and live(world, "alice") == 0 and live(world, "otheradmin") == 0


def test_filters_narrow_a_bulk_sign_out_to_what_they_select(slash, world, incident):
    stale = world.add_session(uid(world, "alice"), last_activity_ms=world.now_ms() - 40 * 86_400_000)
    fresh_alice, fresh_bob = live(world, "alice") - 1, live(world, "bob")
    text = slash("usermanager", "revoke-all ~incident --inactive 30d --yes").visible_text
    assert text.startswith("✅ Signed 1 user out of 1 session (sessions inactive for more than 30 days).")
    assert stale["id"] not in {s["id"] for s in world.sessions_of(uid(world, "alice"))}
    assert live(world, "alice") == fresh_alice and live(world, "bob") == fresh_bob
    assert not any(e.path.endswith("/revoke/all") for e in world.exchanges)


def test_every_target_gets_an_audit_line_and_the_summary_says_how_it_went(slash, world, incident, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    slash("usermanager", "revoke-all ~incident --yes")
    records = audit_records(caplog)
    per_target = [r for r in records if r["action"] == "revoke-all"]
    assert {r["target_username"] for r in per_target} == {"alice", "bob"}
    assert all(r["result"] == "ok" and r["session_ids"] for r in per_target)
    [summary] = [r for r in records if r["action"] == "revoke-many"]
    assert summary["target_username"] == "~incident"
    assert summary["reason"].startswith("2 signed out (") and summary["reason"].endswith("2 skipped, 0 failed")


def test_each_signed_out_user_is_told(slash, world, incident):
    slash("usermanager", "revoke-all @alice @bob --yes")
    for name in ("alice", "bob"):
        channel = world.direct_channel_between(world.bot_user_id, uid(world, name))
        assert "@usermanager signed you out of all" in world.posts_in(channel["id"])[-1]["message"]


def test_the_confirm_button_signs_out_the_same_targets(make_bot, world, incident):
    bot = make_bot()
    shown = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "usermanager", "revoke-all ~incident")
    post = world.ephemeral_post(shown.post_id)
    labels = [button["name"] for button in buttons_of(post)]
    assert labels == ["Sign out 2 users", "Cancel"]
    click = click_button(world, post["id"], buttons_of(post)[0]["id"], "usermanager")
    assert click.error is None and live(world, "alice") == 0 and live(world, "bob") == 0


# --- an incident channel of 500 users ----------------------------------------------------------

@pytest.fixture
def crowd(world) -> list[dict]:
    """~all-hands: 500 users with 5 sessions each, 10 of them system admins, and the admin who types."""
    users = world.add_users("user", 500, sessions_each=5)
    for user in users[:10]:
        world.set_roles(user["username"], "system_user system_admin")
    world.add_channel("all-hands", members=[u["username"] for u in users] + ["usermanager"])
    return users


def test_500_users_preview_then_progress_and_summary_through_response_url(make_bot, world, crowd):
    bot = make_bot(reply_budget_s=0.1)
    world.faults.rate_limit(r"/sessions/revoke/all$", times=3)
    for user in crowd[20:23]:
        world.faults.add(rf"^/api/v4/users/{user['id']}/sessions/revoke/all$", status=500)

    def type_(text: str):
        return run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "usermanager", text)

    def later(result) -> list[str]:
        posts = world.ephemeral_posts_for(uid(world, "usermanager"))
        ids = [post["id"] for post in posts]
        return [post["message"] for post in posts[ids.index(result.post_id) + 1:]]

    def final(result, lead: str) -> str:
        return eventually(lambda: [m for m in later(result) if m.startswith(lead)])[0]

    asked = type_("revoke-all ~all-hands")
    preview = final(asked, "**") if asked.visible_text.startswith("⏳ Still working") else asked.visible_text
    assert preview.startswith("**This will sign 490 users out of 2450 sessions**:")
    assert "**Skipped 11:**" in preview and "- …and 470 more" in preview
    assert sum(len(world.sessions_of(u["id"])) for u in crowd) == 2500

    confirmed = type_("revoke-all ~all-hands --yes")
    assert confirmed.visible_text.startswith("⏳ Still working")
    done = final(confirmed, "✅")
    progress = [m for m in later(confirmed) if m.startswith("⏳ Signing out")]
    assert 1 <= len(progress) <= 2
    assert done.startswith("✅ Signed 487 users out of 2435 sessions.")
    assert "**⚠️ Failed for 3 users**" in done
    assert all(len(world.sessions_of(u["id"])) == 5 for u in crowd[:10] + crowd[20:23])
    assert sum(len(world.sessions_of(u["id"])) for u in crowd[10:20] + crowd[23:]) == 0
    assert len([e for e in world.exchanges if e.status == 429]) == 3  # each waited out, then sent again
