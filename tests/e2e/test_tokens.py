"""Personal access tokens end to end: `tokens`, `disable-tokens` and `revoke-all --tokens`, one user or many,
permission-checked on the caller exactly as Mattermost checks its token endpoints, over real HTTP against the
stand-in. A token's value never appears in a reply, a post or a log line."""
from __future__ import annotations

import json
import logging

import pytest

from bot.ops.logs import json_handler
from bot.sandbox import buttons_of, click_button, run_slash_command
from tests.support.lookups import audit_records, live, uid
from tests.support.settings import COMMAND_TOKEN

TOKEN_ROLE = "system_user_access_token"  # "Allow this account to generate personal access tokens"


def tokens(world, username: str) -> dict[str, bool]:
    """Each of the user's tokens by description: True while it is active."""
    return {t["description"]: t["is_active"] for t in world.access_tokens_of(username)}


def token_calls(world) -> list:
    return world.calls(path_regex=r"/tokens")


def give_token_role(world, username: str) -> None:
    world.set_roles(username, world.user_by_username(username)["roles"] + " " + TOKEN_ROLE)


def grant_user_manager(world, *permissions: str) -> None:
    world.grant("system_user_manager", *permissions)


# --- listing: who may ----------------------------------------------------------------------------

def test_a_plain_user_may_not_even_list_their_own_tokens_without_read_user_access_token(slash, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    text = slash("alice", "tokens").visible_text
    assert "**read_user_access_token**" in text and "Nothing was changed" in text
    assert token_calls(world) == []
    [record] = audit_records(caplog)
    assert (record["action"], record["result"], record["reason"]) == ("tokens", "refused", "needs_read_user_access_token")


def test_with_the_token_role_a_user_lists_their_tokens_with_state_and_last_use(slash, world):
    give_token_role(world, "alice")
    world.add_access_token("alice", "old ci job", active=False)
    world.add_access_token("alice", "never used")
    text = slash("alice", "tokens").visible_text
    assert text.startswith("#### Your personal access tokens (3)")
    lines = text.splitlines()
    calendar = next(line for line in lines if "`calendar sync script`" in line)
    assert "✅ active" in calendar and "last used 9 days ago" in calendar
    assert "⏸️ disabled" in next(line for line in lines if "`old ci job`" in line)
    assert "last used unknown" in next(line for line in lines if "`never used`" in line)
    assert lines.index(calendar) < lines.index(next(line for line in lines if "`old ci job`" in line))  # active first
    for token in world.access_tokens_of("alice"):
        assert token["id"] in text
    assert "`/sessions disable-tokens`" in text


def test_a_user_with_no_tokens_is_told_so(slash, world):
    give_token_role(world, "bob")
    assert slash("bob", "tokens").visible_text == "You have no personal access tokens."


def test_someone_elses_tokens_need_edit_other_users_refused_before_any_lookup(slash, world):
    give_token_role(world, "alice")
    text = slash("alice", "tokens bob@example.com").visible_text
    assert "**edit_other_users**" in text
    assert not any("/users/email/" in e.path for e in world.exchanges) and token_calls(world) == []


def test_edit_other_users_is_not_enough_without_the_token_permission(slash, world):
    text = slash("usermanager", "tokens @alice").visible_text
    assert "**read_user_access_token**" in text
    assert not any("/users/username/" in e.path for e in world.exchanges) and token_calls(world) == []


def test_a_user_manager_granted_the_token_permission_lists_alices_tokens(slash, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    grant_user_manager(world, "read_user_access_token")
    text = slash("usermanager", "tokens @alice").visible_text
    assert text.startswith("#### @alice's personal access tokens (1)") and "last used 9 days ago" in text
    [record] = audit_records(caplog)  # reading someone else's tokens is audited
    assert (record["action"], record["result"], record["target_username"]) == ("tokens", "ok", "alice")


def test_a_system_admins_tokens_need_manage_system(slash, world):
    grant_user_manager(world, "read_user_access_token")
    world.add_access_token("sysadmin", "admin script")
    text = slash("usermanager", "tokens @sysadmin").visible_text
    assert "@sysadmin is a system admin" in text and "**manage_system**" in text
    assert token_calls(world) == []


def test_a_system_admin_lists_another_admins_tokens(slash, world):
    world.add_access_token("otheradmin", "backup job")
    text = slash("sysadmin", "tokens @otheradmin").visible_text
    assert text.startswith("#### @otheradmin's personal access tokens (1)") and "`backup job`" in text


def test_a_bot_accounts_tokens_need_manage_others_bots(slash, world):
    grant_user_manager(world, "read_user_access_token")
    world.add_user("deploybot", is_bot=True)
    world.add_access_token("deploybot", "deploys")
    text = slash("usermanager", "tokens @deploybot").visible_text
    assert "@deploybot is a bot account" in text and "**manage_others_bots**" in text
    assert token_calls(world) == []
    assert "`deploys`" in slash("sysadmin", "tokens @deploybot").visible_text


def test_a_deactivated_users_tokens_are_listed_and_said_to_be_refused(slash, world):
    world.add_access_token("deactivated", "leftover")
    text = slash("sysadmin", "tokens @deactivated").visible_text
    assert "`leftover`" in text and "@deactivated is deactivated" in text


# --- disabling ------------------------------------------------------------------------------------

def test_disable_tokens_previews_the_active_tokens_and_changes_nothing(slash, world):
    world.add_access_token("alice", "already off", active=False)
    text = slash("sysadmin", "disable-tokens @alice").visible_text
    assert text.startswith("**This will disable @alice's 1 active personal access token:**")
    assert "`calendar sync script`" in text and "`already off`" not in text
    assert "To go ahead, run `/sessions disable-tokens @alice --yes`." in text
    assert tokens(world, "alice") == {"calendar sync script": True, "already off": False}
    assert not world.calls(method="POST", path_regex=r"/tokens/")


def test_disable_tokens_yes_disables_them_ends_their_sessions_audits_and_tells_the_owner(slash, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    value = world.add_access_token("alice", "second script", last_used_ms=world.now_ms() - 3_600_000)
    sessions_before = live(world, "alice")
    text = slash("sysadmin", "disable-tokens @alice --yes").visible_text
    assert text.startswith("🔑 Disabled @alice's 2 personal access tokens:")
    assert tokens(world, "alice") == {"calendar sync script": False, "second script": False}
    assert live(world, "alice") == sessions_before - 2  # each token's session ended with it
    with pytest.raises(ValueError):
        world.use_access_token(value)  # and the token no longer opens one
    [record] = [r for r in audit_records(caplog) if r["action"] == "disable-tokens"]
    assert record["result"] == "ok" and record["target_username"] == "alice"
    assert sorted(record["token_ids"]) == sorted(t["id"] for t in world.access_tokens_of("alice"))
    channel = world.direct_channel_between(world.bot_user_id, uid(world, "alice"))
    notice = world.posts_in(channel["id"])[-1]["message"]
    assert "@sysadmin disabled your 2 personal access tokens" in notice and "`second script`" in notice


def test_a_token_mattermost_calls_gone_but_still_active_is_a_failure_never_already_deleted(slash, world, caplog):
    """A 404 from ``disableUserAccessToken`` is checked by reading the tokens again: still active, it failed."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    world.faults.add(r"^/api/v4/users/tokens/disable$", method="POST", status=404, times=1)
    text = slash("sysadmin", "disable-tokens @alice --yes").visible_text or ""
    assert tokens(world, "alice") == {"calendar sync script": True}
    assert "still works" in text and "Already deleted" not in text and "🔑 Disabled" not in text
    [record] = [r for r in audit_records(caplog) if r["action"] == "disable-tokens"]
    assert (record["result"], record["reason"], record["token_ids"]) == ("failed", "TokenStillActive", [])


def test_a_token_deleted_meanwhile_is_said_to_be_so_and_not_claimed(slash, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    [token] = world.access_tokens_of("alice")
    world.faults.add(r"^/api/v4/users/tokens/disable$", method="POST", times=1,
                     before=lambda: world.revoke_access_token(token["id"]))
    text = slash("sysadmin", "disable-tokens @alice --yes").visible_text or ""
    assert "Already deleted meanwhile: 1 personal access token." in text and "🔑 Disabled" not in text
    [record] = [r for r in audit_records(caplog) if r["action"] == "disable-tokens"]
    assert record["token_ids"] == []


def test_disabling_with_nothing_active_says_so(slash, world):
    give_token_role(world, "bob")
    assert slash("bob", "disable-tokens --yes").visible_text == (
        "You have no active personal access tokens: nothing to disable.")


def test_disabling_needs_revoke_user_access_token(slash, world):
    grant_user_manager(world, "read_user_access_token")
    text = slash("usermanager", "disable-tokens @alice --yes").visible_text
    assert "**revoke_user_access_token**" in text
    assert tokens(world, "alice") == {"calendar sync script": True}


def test_a_user_with_the_token_role_disables_their_own_tokens(slash, world):
    give_token_role(world, "alice")
    slash("alice", "disable-tokens --yes")
    assert tokens(world, "alice") == {"calendar sync script": False}


def test_the_bot_never_disables_its_own_token(slash, world):
    text = slash("sysadmin", "disable-tokens @sessionsbot --yes").visible_text
    assert "this bot's own account" in text
    assert tokens(world, "sessionsbot") == {"sessions bot": True}


def test_the_disable_button_confirms_and_cancel_does_nothing(make_bot, world):
    bot = make_bot()
    shown = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "sysadmin", "disable-tokens @alice")
    post = world.ephemeral_post(shown.post_id)
    assert [b["name"] for b in buttons_of(post)] == ["Disable 1 personal access token", "Cancel"]
    assert click_button(world, post["id"], "Cancel", "sysadmin").ephemeral_text == "Cancelled: nothing was signed out."
    assert tokens(world, "alice") == {"calendar sync script": True}
    click = click_button(world, post["id"], "Disable 1 personal access token", "sysadmin")
    assert click.error is None and click.ephemeral_text.startswith("🔑 Disabled @alice's 1 personal access token")
    assert tokens(world, "alice") == {"calendar sync script": False}


def test_the_disable_button_rechecks_the_clickers_permission_at_click_time(make_bot, world):
    grant_user_manager(world, "read_user_access_token", "revoke_user_access_token")
    bot = make_bot()
    shown = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "usermanager", "disable-tokens @alice")
    world.set_roles("usermanager", "system_user")  # roles are read fresh on every click
    click = click_button(world, shown.post_id, "Disable 1 personal access token", "usermanager")
    assert "**revoke_user_access_token**" in click.ephemeral_text
    assert tokens(world, "alice") == {"calendar sync script": True}


# --- revoke-all --tokens: everything -------------------------------------------------------------

def test_revoke_all_with_tokens_previews_sessions_and_tokens_together(slash, world):
    before = live(world, "alice")
    text = slash("sysadmin", "revoke-all @alice --tokens").visible_text
    assert text.startswith(f"**This will sign @alice out of {before} sessions and disable 1 active personal access "
                           "token:**")
    sessions, tokens_part = text.index("Sessions:"), text.index("Tokens:")
    assert "Chrome on Mac OS" in text[sessions:tokens_part] and "`calendar sync script`" in text[tokens_part:]
    assert "To go ahead, run `/sessions revoke-all @alice --tokens --yes`." in text
    assert live(world, "alice") == before and tokens(world, "alice") == {"calendar sync script": True}


def test_revoke_all_with_tokens_signs_out_and_disables_so_the_token_cannot_come_back(slash, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    value = world.access_tokens_of("alice")[0]["token"]
    session_ids = {s["id"] for s in world.sessions_of(uid(world, "alice"))}
    text = slash("sysadmin", "revoke-all @alice --tokens --yes").visible_text
    assert text.startswith("✅ Signed @alice out of 4 sessions:") and "🔑 Disabled @alice's 1 personal access token" in text
    assert "Signing out does not disable" not in text
    assert live(world, "alice") == 0 and tokens(world, "alice") == {"calendar sync script": False}
    with pytest.raises(ValueError):
        world.use_access_token(value)
    [record] = [r for r in audit_records(caplog) if r["action"] == "revoke-all"]
    assert set(record["session_ids"]) == session_ids
    assert record["token_ids"] == [world.access_tokens_of("alice")[0]["id"]]
    notice = world.posts_in(world.direct_channel_between(world.bot_user_id, uid(world, "alice"))["id"])[-1]["message"]
    assert "signed you out of all 4 sessions" in notice and "also disabled your 1 personal access token" in notice


def test_revoke_all_with_tokens_is_refused_whole_without_the_token_permission(slash, world):
    before = live(world, "bob")
    text = slash("usermanager", "revoke-all @bob --tokens --yes").visible_text
    assert "**revoke_user_access_token**" in text and "Without `--tokens`" in text
    assert live(world, "bob") == before and not world.calls(method="POST", path_regex=r"/revoke|/tokens")
    assert not world.calls(path_regex=r"/users/username/")  # refused before bob was even looked up


def test_the_everything_button_signs_out_and_disables(make_bot, world):
    bot = make_bot()
    shown = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "sysadmin", "revoke-all @alice --tokens")
    assert [b["name"] for b in buttons_of(world.ephemeral_post(shown.post_id))] == ["Sign out and disable tokens",
                                                                                    "Cancel"]
    click = click_button(world, shown.post_id, "Sign out and disable tokens", "sysadmin")
    assert click.error is None
    assert live(world, "alice") == 0 and tokens(world, "alice") == {"calendar sync script": False}


def test_yourself_with_tokens_includes_the_session_you_type_in(slash, world):
    give_token_role(world, "alice")
    text = slash("alice", "revoke-all --tokens").visible_text
    assert "including the session you are typing in" in text or "session you are typing in" in text
    slash("alice", "revoke-all --tokens --yes")
    assert live(world, "alice") == 0 and tokens(world, "alice") == {"calendar sync script": False}


# --- in bulk ---------------------------------------------------------------------------------------

@pytest.fixture
def incident(world):
    world.add_access_token("bob", "bob's bot script", last_used_ms=world.now_ms() - 60_000)
    world.add_user("deploybot", is_bot=True)
    world.add_access_token("deploybot", "deploys")
    return world.add_channel("incident", members=("alice", "bob", "deploybot", "usermanager"))


def test_bulk_with_tokens_previews_tokens_per_user_and_skips_a_bot_without_manage_others_bots(slash, world, incident):
    grant_user_manager(world, "revoke_user_access_token")
    text = slash("usermanager", "revoke-all ~incident --tokens").visible_text
    assert "and disable 2 personal access tokens**:" in text
    assert "- @alice: 4 sessions, 1 personal access token" in text and "- @bob: 3 sessions, 1 personal access token" in text
    assert "- `@deploybot`: bot account: its tokens need manage_others_bots" in text
    assert "`/sessions revoke-all ~incident --tokens --yes`" in text
    assert tokens(world, "alice") == {"calendar sync script": True}


def test_bulk_with_tokens_signs_out_disables_and_audits_each_target(slash, world, incident, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    text = slash("sysadmin", "revoke-all @alice @bob --tokens --yes").visible_text
    assert text.startswith("✅ Signed 2 users out of 7 sessions and disabled 2 personal access tokens.")
    for name in ("alice", "bob"):
        assert live(world, name) == 0 and not any(tokens(world, name).values())
    per_target = {r["target_username"]: r for r in audit_records(caplog) if r["action"] == "revoke-all"}
    for name in ("alice", "bob"):
        assert per_target[name]["token_ids"] == [t["id"] for t in world.access_tokens_of(name)]
    [summary] = [r for r in audit_records(caplog) if r["action"] == "revoke-many"]
    assert "2 tokens disabled" in summary["reason"]


def test_bulk_with_tokens_is_refused_whole_without_the_token_permission(slash, world, incident):
    text = slash("usermanager", "revoke-all ~incident --tokens --yes").visible_text
    assert "**revoke_user_access_token**" in text
    assert live(world, "alice") == 4 and tokens(world, "alice") == {"calendar sync script": True}
    assert not any("/channels/" in e.path for e in world.exchanges)


def test_the_bulk_confirm_button_carries_tokens(make_bot, world, incident):
    bot = make_bot()
    shown = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "sysadmin", "revoke-all @alice @bob --tokens")
    click = click_button(world, shown.post_id, "Sign out 2 users", "sysadmin")
    assert click.error is None and tokens(world, "bob") == {"bob's bot script": False}


# --- a token's value never shows ------------------------------------------------------------------

def test_no_token_value_appears_in_any_reply_post_or_log_line(make_bot, world, caplog):
    caplog.set_level(logging.DEBUG)
    channel = world.add_channel("security-audit", members=["sessionsbot"])
    bot = make_bot(log_level="DEBUG", audit_channel_id=channel["id"])
    give_token_role(world, "alice")
    world.add_access_token("alice", "spare", active=False)
    world.add_access_token("bob", "bob job", last_used_ms=world.now_ms() - 60_000)
    values = [t["token"] for name in ("alice", "bob", "sessionsbot") for t in world.access_tokens_of(name)]
    commands = [("alice", "tokens"), ("sysadmin", "tokens @bob"), ("sysadmin", "tokens @sessionsbot"),
                ("sysadmin", "disable-tokens @bob"), ("sysadmin", "revoke-all @alice --tokens"),
                ("sysadmin", "revoke-all @alice @bob --tokens --yes"), ("alice", "tokens")]
    replies = [run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, user, text)
               for user, text in commands]
    handler = json_handler()
    lines = []
    for record in caplog.records:
        handler.filter(record)
        lines.append(handler.format(record))
    seen = "\n".join([r.visible_text or "" for r in replies] + lines + [json.dumps(world.ephemeral_posts_for(uid(world, u)))
                                                                       for u in ("alice", "sysadmin")]
                     + [json.dumps(world.posts_in(channel["id"]))])
    assert "calendar sync script" in seen and any('"token_ids"' in line for line in lines)
    for value in values:
        assert value not in seen
