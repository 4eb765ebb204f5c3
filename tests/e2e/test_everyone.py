"""`revoke-all --everyone` end to end: Mattermost's "revoke all sessions for all users", only for a caller holding
manage_system, only with the typed code its preview shows (stateless: an HMAC of the caller and a 10-minute window
under BOT_SECRET), never with --yes or a button; afterwards the bot still works, through its token."""
from __future__ import annotations

import logging
import re
import time

import pytest

from bot.features.everyone import CODE_WINDOW_S, confirmation_code
from bot.sandbox import run_slash_command
from tests.support.lookups import audit_records, uid
from tests.support.settings import BOT_SECRET, COMMAND_TOKEN


def everyone_calls(world) -> list:
    return world.calls(method="POST", path_regex=r"^/api/v4/users/sessions/revoke/all$")


def all_sessions(world) -> dict[str, int]:
    """Everyone's session count but the bot's (its token opens a session on its first call)."""
    return {user["username"]: len(world.sessions_of(user["id"])) for user in world.users() if not user["is_bot"]}


def code_in(text: str) -> str:
    return re.search(r"--everyone --confirm ([A-Z0-9]{6})`", text).group(1)


def window_now() -> int:
    return int(time.time()) // CODE_WINDOW_S


@pytest.mark.parametrize("who", ["usermanager", "alice", "sysmanager"])
def test_a_caller_without_manage_system_is_refused_before_anything_happens(slash, world, caplog, who):
    caplog.set_level(logging.INFO, logger="bot.audit")
    before = all_sessions(world)
    text = slash(who, f"revoke-all --everyone --confirm {confirmation_code(BOT_SECRET, uid(world, who), window_now())}"
                 ).visible_text
    assert "**manage_system**" in text and "Nothing was changed" in text
    assert everyone_calls(world) == [] and all_sessions(world) == before
    assert {e.path for e in world.exchanges} <= {f"/api/v4/users/{uid(world, who)}", "/api/v4/roles/names"}
    [record] = audit_records(caplog)
    assert (record["action"], record["result"], record["reason"]) == ("revoke-everyone", "refused",
                                                                      "needs_manage_system")


def test_the_preview_explains_shows_a_code_changes_nothing_and_is_audited(slash, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    before = all_sessions(world)
    text = slash("sysadmin", "revoke-all --everyone").visible_text
    assert "every user out of every session" in text and "yours" in text
    assert "Personal access tokens and bot tokens are not touched" in text
    assert code_in(text) == confirmation_code(BOT_SECRET, uid(world, "sysadmin"), window_now())
    assert everyone_calls(world) == [] and all_sessions(world) == before
    [record] = audit_records(caplog)
    assert (record["action"], record["result"], record["target_username"]) == ("revoke-everyone", "preview",
                                                                               "(everyone)")


def test_the_preview_has_no_button_even_when_buttons_are_on(make_bot, world):
    bot = make_bot()
    shown = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "sysadmin", "revoke-all --everyone")
    assert code_in(shown.visible_text)
    assert not (world.ephemeral_post(shown.post_id)["props"].get("attachments") or [])


@pytest.mark.parametrize("typed", ["ABCDEF", "22222", "ZZZZZZZ"])
def test_a_wrong_code_is_refused_and_audited(slash, world, caplog, typed):
    caplog.set_level(logging.INFO, logger="bot.audit")
    before = all_sessions(world)
    text = slash("sysadmin", f"revoke-all --everyone --confirm {typed}").visible_text
    assert "wrong or has expired" in text and "nobody was signed out" in text
    assert everyone_calls(world) == [] and all_sessions(world) == before
    [record] = audit_records(caplog)
    assert (record["result"], record["reason"]) == ("refused", "wrong_confirmation_code")


def test_an_expired_code_is_refused(slash, world):
    expired = confirmation_code(BOT_SECRET, uid(world, "sysadmin"), window_now() - 2)
    assert "wrong or has expired" in slash("sysadmin", f"revoke-all --everyone --confirm {expired}").visible_text
    assert everyone_calls(world) == []


def test_another_admins_code_does_nothing(slash, world):
    theirs = code_in(slash("otheradmin", "revoke-all --everyone").visible_text)
    if theirs == confirmation_code(BOT_SECRET, uid(world, "sysadmin"), window_now()):  # 1 in 2**30
        pytest.skip("the two codes happen to coincide")
    assert "wrong or has expired" in slash("sysadmin", f"revoke-all --everyone --confirm {theirs}").visible_text
    assert everyone_calls(world) == []


def test_a_code_from_the_previous_window_still_works(slash, world):
    previous = confirmation_code(BOT_SECRET, uid(world, "sysadmin"), window_now() - 1)
    assert slash("sysadmin", f"revoke-all --everyone --confirm {previous}").visible_text.startswith("✅")
    assert len(everyone_calls(world)) == 1


def test_yes_never_signs_everyone_out(slash, world):
    text = slash("sysadmin", "revoke-all --everyone --yes").visible_text
    assert "never confirmed with `--yes`" in text and everyone_calls(world) == []


def test_the_right_code_signs_everyone_out_says_what_happens_to_tokens_and_is_audited(slash, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    alice_token = world.access_tokens_of("alice")[0]["token"]
    code = code_in(slash("sysadmin", "revoke-all --everyone").visible_text)
    text = slash("sysadmin", f"revoke-all --everyone --confirm {code.lower()}").visible_text  # any case
    assert text.startswith("✅ Signed every user out of every session, yours included")
    assert "Personal access tokens and bot tokens were not touched: they still work" in text
    assert len(everyone_calls(world)) == 1
    assert set(all_sessions(world).values()) == {0}
    world.use_access_token(alice_token)  # tokens stay valid: their next use opens a new session
    records = [r for r in audit_records(caplog) if r["action"] == "revoke-everyone"]
    assert [(r["result"], r["target_username"], r["actor_username"]) for r in records] == [
        ("preview", "(everyone)", "sysadmin"), ("ok", "(everyone)", "sysadmin")]


def test_the_bot_keeps_working_after_signing_everyone_out(slash, world):
    bot_session_before = {s["id"] for s in world.sessions_of(world.bot_user_id)}
    code = code_in(slash("sysadmin", "revoke-all --everyone").visible_text)
    slash("sysadmin", f"revoke-all --everyone --confirm {code}")
    assert not bot_session_before & {s["id"] for s in world.sessions_of(world.bot_user_id)}  # its session went too
    world.add_session(uid(world, "alice"))  # alice signs in again
    result = slash("usermanager", "list @alice")  # a command right after: the bot's token opens a new session
    assert result.error is None and result.visible_text.startswith("#### @alice's sessions (1)")
    assert world.sessions_of(world.bot_user_id), "the bot's token made itself a new session"


def test_the_audit_channel_hears_of_it(make_bot, world):
    channel = world.add_channel("security-audit", members=["sessionsbot"])
    bot = make_bot(audit_channel_id=channel["id"])
    url = bot.url + "/slash/sessions"
    code = code_in(run_slash_command(world, url, COMMAND_TOKEN, "sysadmin", "revoke-all --everyone").visible_text)
    run_slash_command(world, url, COMMAND_TOKEN, "sysadmin", f"revoke-all --everyone --confirm {code}")
    lines = [post["message"] for post in world.posts_in(channel["id"])]
    assert lines[-1].startswith("🔐 `@sysadmin` · revoke-everyone · everyone · **ok**")
