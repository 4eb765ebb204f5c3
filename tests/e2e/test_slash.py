"""/sessions end to end: Mattermost's request → the bot over HTTP → the stand-in over HTTP → what the user sees."""
from __future__ import annotations

import json
import logging

import pytest

from bot.sandbox import World
from tests.support.lookups import audit_records, session_ids, uid


def revocations(world: World) -> list:
    return world.calls(method="POST", path_regex=r"/sessions/revoke")


# --- listing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "list", "ls", "LIST", "  list  ", "list me"])
def test_every_list_alias_shows_the_callers_own_sessions(slash, world, text):
    result = slash("alice", text)
    assert result.status == 200 and result.ephemeral and result.error is None
    assert result.visible_text.startswith(f"#### Your sessions ({len(world.sessions_of(uid(world, 'alice')))})")
    assert revocations(world) == []


def test_listing_own_sessions_takes_a_single_upstream_call(slash, world):
    slash("alice", "list")
    assert [(e.method, e.path) for e in world.exchanges] == [("GET", f"/api/v4/users/{uid(world, 'alice')}/sessions")]


def test_admin_listing_another_user_takes_three_upstream_calls_once_roles_are_cached(slash, world):
    slash("usermanager", "list @alice")
    assert len(world.exchanges) == 4  # caller, their roles' permissions, alice, alice's sessions
    world.exchanges.clear()
    slash("usermanager", "list @bob")
    assert [(e.method, e.path.split("/")[4]) for e in world.exchanges] == [("GET", world.user_by_username("usermanager")["id"]), ("GET", "username"), ("GET", world.user_by_username("bob")["id"])]


def test_list_shows_device_markers_ids_and_the_token_note_but_no_secrets(slash, world):
    text = slash("alice", "list").visible_text
    for marker in ("🌐 Web browser", "🖥️ Desktop app", "📱 Mobile app", "🔑 Personal access token"):
        assert marker in text
    for session in world.sessions_of(uid(world, "alice")):
        assert session["id"][:8] in text
        assert session["token"] not in text
        assert session["props"].get("csrf", "no-csrf") not in text
    assert "Signing out does not disable personal access tokens" in text


@pytest.mark.parametrize("form", ["@alice", "alice", "ALICE", "alice@example.com", "{id}"])
def test_user_manager_lists_alice_by_any_name(slash, world, form):
    text = slash("usermanager", "list " + form.format(id=uid(world, "alice"))).visible_text
    assert text.startswith("#### @alice's sessions")


def test_system_admin_lists_another_system_admin(slash):
    assert slash("sysadmin", "list @otheradmin").visible_text.startswith("#### @otheradmin's sessions")


def test_plain_user_cannot_list_another_users_sessions(slash, world):
    text = slash("bob", "list @alice").visible_text
    assert "edit_other_users" in text and "Nothing was changed" in text
    assert not world.calls(path_regex=r"/sessions")


@pytest.mark.parametrize("caller", ["guest", "sysmanager"])
def test_roles_without_edit_other_users_by_default_cannot_list_others(slash, caller):
    assert "edit_other_users" in slash(caller, "list @alice").visible_text


def test_admin_cannot_list_system_admin_without_manage_system(slash, world):
    text = slash("usermanager", "list @sysadmin").visible_text
    assert "@sysadmin is a system admin" in text and "manage_system" in text
    assert not world.calls(path_regex=r"/sessions")


def test_plain_user_looking_up_by_email_learns_nothing_about_the_address(slash, world):
    text = slash("bob", "list alice@example.com").visible_text
    assert "edit_other_users" in text and "@alice" not in text
    assert not world.calls(path_regex=r"/users/email/")


def test_naming_yourself_by_username_is_just_your_own_list(slash):
    assert slash("bob", "list @bob").visible_text.startswith("#### Your sessions")


def test_unknown_user_gets_a_clear_message(slash):
    assert "couldn't find a user named `@nobody`" in slash("usermanager", "list @nobody").visible_text


def test_deactivated_user_gets_a_clear_message(slash):
    assert "@deactivated is deactivated" in slash("sysadmin", "list @deactivated").visible_text


# --- revoking one session --------------------------------------------------------------------

def test_revoke_by_prefix_signs_out_exactly_that_session_and_says_which(slash, world):
    target = next(s for s in world.sessions_of(uid(world, "alice")) if s["props"].get("browser", "").startswith("Chrome"))
    before = session_ids(world, "alice")
    text = slash("alice", f"revoke {target['id'][:8]}").visible_text
    assert text.startswith("✅ Signed out of Chrome on Mac OS, last active")
    assert session_ids(world, "alice") == before - {target["id"]}


def test_revoke_accepts_the_full_id_in_any_case(slash, world):
    target = sorted(session_ids(world, "bob"))[0]
    assert slash("bob", f"revoke {target.upper()}").visible_text.startswith("✅ Signed out of")
    assert target not in session_ids(world, "bob")


def test_user_manager_revokes_alices_session(slash, world):
    target = sorted(session_ids(world, "alice"))[0]
    text = slash("usermanager", f"revoke {target[:6]} @alice").visible_text
    assert text.startswith("✅ Signed @alice out of")
    assert target not in session_ids(world, "alice")


def test_plain_user_cannot_revoke_another_users_session(slash, world):
    target = sorted(session_ids(world, "alice"))[0]
    assert "edit_other_users" in slash("bob", f"revoke {target} @alice").visible_text
    assert target in session_ids(world, "alice") and revocations(world) == []


def test_admin_cannot_revoke_system_admin_without_manage_system(slash, world):
    target = sorted(session_ids(world, "sysadmin"))[0]
    assert "manage_system" in slash("usermanager", f"revoke {target} @sysadmin").visible_text
    assert target in session_ids(world, "sysadmin") and revocations(world) == []


def test_an_id_of_someone_elses_session_is_not_found_among_your_own(slash, world):
    alices = sorted(session_ids(world, "alice"))[0]
    assert "No session of yours" in slash("bob", f"revoke {alices}").visible_text
    assert alices in session_ids(world, "alice") and revocations(world) == []


def test_a_session_token_is_never_accepted_as_an_id(slash, world):
    token = world.token_of("alice")
    assert "No session of yours" in slash("alice", f"revoke {token}").visible_text
    assert revocations(world) == []


def test_ambiguous_prefix_revokes_nothing_and_lists_the_matches(slash, world):
    alice = uid(world, "alice")
    a = world.add_session(alice, id="abcdef" + "1" * 20)
    b = world.add_session(alice, id="abcdef" + "2" * 20)
    text = slash("alice", "revoke abcdef").visible_text
    assert "matches 2 sessions, so nothing was signed out" in text
    assert "`abcdef11`" in text and "`abcdef22`" in text  # each as a list shows it, never the whole id
    assert a["id"] not in text and b["id"] not in text
    assert {a["id"], b["id"]} <= session_ids(world, "alice") and revocations(world) == []
    assert slash("alice", "revoke abcdef22").visible_text.startswith("✅ Signed out of")  # and that is enough
    assert a["id"] in session_ids(world, "alice") and b["id"] not in session_ids(world, "alice")


def test_unknown_prefix_says_how_to_find_ids(slash, world):
    text = slash("alice", "revoke zzzzzzzz").visible_text
    assert "No session of yours has an ID starting with `zzzzzzzz`" in text and "`/sessions list`" in text


def test_nobody_can_revoke_the_bots_own_sessions(slash, world):
    world.add_session(world.bot_user_id, id="botses" + "1" * 20)
    text = slash("sysadmin", "revoke botses @sessionsbot").visible_text
    assert "never signs itself out" in text and revocations(world) == []
    assert "never signs itself out" in slash("sysadmin", "revoke-all @sessionsbot --yes").visible_text


def test_session_gone_between_list_and_revoke_is_reported_plainly(slash, world):
    target = sorted(session_ids(world, "alice"))[0]
    world.faults.add(r"/sessions/revoke$", method="POST", times=1, before=lambda: world.revoke_session(target))
    assert "already signed out" in slash("alice", f"revoke {target[:8]}").visible_text


def test_a_400_for_a_session_still_there_is_a_failure_never_already_gone(slash, world, caplog):
    """``GetSessionById`` answers 400 for any store error, so a 400 proves nothing: the bot reads the list again."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    target = sorted(session_ids(world, "alice"))[0]
    world.faults.add(r"/sessions/revoke$", method="POST", status=400, times=1)
    shown = slash("alice", f"revoke {target[:8]}").visible_text or ""
    assert "still signed in" in shown and "already signed out" not in shown and "✅" not in shown
    assert target in session_ids(world, "alice")
    [record] = audit_records(caplog)
    assert (record["result"], record["reason"], record["session_ids"]) == ("failed", "StillSignedIn", [])


# --- revoking everything ---------------------------------------------------------------------

@pytest.mark.parametrize("text", ["revoke-all", "logout-everywhere", "revoke all", "REVOKE-ALL"])
def test_revoke_all_without_yes_only_explains_what_would_happen(slash, world, text):
    count = len(session_ids(world, "alice"))
    reply = slash("alice", text).visible_text
    assert f"This will sign you out of {count} sessions" in reply
    assert "`/sessions revoke-all --yes`" in reply and "sign in again here too" in reply
    assert revocations(world) == [] and len(session_ids(world, "alice")) == count


@pytest.mark.parametrize("text", ["revoke-all --yes", "logout-everywhere -y", "revoke all --yes"])
def test_revoke_all_with_yes_signs_out_everywhere(slash, world, text):
    count = len(session_ids(world, "bob"))
    reply = slash("bob", text).visible_text
    assert reply.startswith(f"✅ Signed you out of {count} sessions")
    assert session_ids(world, "bob") == set()


def test_user_manager_signs_alice_out_everywhere_and_is_told_tokens_stay_valid(slash, world):
    preview = slash("usermanager", "revoke-all @alice").visible_text
    assert "This will sign @alice out of" in preview and "`/sessions revoke-all @alice --yes`" in preview
    done = slash("usermanager", "revoke-all @alice --yes").visible_text
    assert done.startswith("✅ Signed @alice out of") and "Signing out does not disable personal access tokens" in done
    assert session_ids(world, "alice") == set()


def test_admin_cannot_revoke_all_of_a_system_admin_without_manage_system(slash, world):
    before = session_ids(world, "sysadmin")
    assert "manage_system" in slash("usermanager", "revoke-all @sysadmin --yes").visible_text
    assert session_ids(world, "sysadmin") == before and revocations(world) == []


def test_revoke_all_with_no_sessions_says_there_is_nothing_to_do(slash, world):
    world.add_user("fresh")
    assert "nothing to sign out" in slash("sysadmin", "revoke-all @fresh --yes").visible_text
    assert revocations(world) == []


# --- help ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["help", "-h", "--help"])
def test_help_shows_usage(slash, text):
    assert slash("alice", text).visible_text.startswith("**/sessions** shows where you are signed in")


def test_unknown_input_says_what_was_not_understood_then_usage(slash):
    text = slash("alice", "frobnicate").visible_text
    assert text.startswith("I don't know the command `frobnicate`.") and "**/sessions**" in text


# --- upstream failures -----------------------------------------------------------------------

def test_mattermost_down_gives_a_friendly_message_within_the_timeout(slash, mattermost):
    mattermost.stop()
    result = slash("alice", "list")
    assert result.status == 200 and "couldn't reach Mattermost" in result.visible_text
    assert result.elapsed_s < 5


def test_slow_mattermost_times_out_with_a_friendly_message(slash, world):
    world.faults.add(r"/sessions$", delay_s=3.0, times=1)  # the bot's timeout is 2 s
    result = slash("alice", "list")
    assert "did not answer within 2 s" in result.visible_text and result.elapsed_s < 4


def test_revoked_bot_token_is_explained(slash, world):
    world.revoke_token(world.bot_token)
    assert "rejected the sessions bot's access token" in slash("alice", "list").visible_text


def test_bot_without_admin_rights_is_explained(slash, world):
    world.set_roles("sessionsbot", "system_user")
    text = slash("usermanager", "list @alice").visible_text
    assert "Mattermost refused to let the sessions bot manage @alice's sessions" in text


def test_mattermost_internal_error_is_explained_and_nothing_claimed(slash, world):
    world.faults.add(r"/sessions/revoke/all$", status=500, times=1)
    text = slash("bob", "revoke-all --yes").visible_text
    assert "HTTP 500" in text and "✅" not in text


def test_malformed_answer_is_explained(slash, world):
    world.faults.add(r"/sessions$", status=200, body=b"{not json", times=1)
    assert "not what the sessions bot expected" in slash("alice", "list").visible_text


# --- filters ---------------------------------------------------------------------------------

DAY_MS = 24 * 60 * 60 * 1000


def add_stale_sessions(world: World, username: str) -> list[dict]:
    """Two sessions unused for over a month (a web browser and a phone) next to the seeded, recently used ones."""
    user = uid(world, username)
    now = world.now_ms()
    return [
        world.add_session(user, create_ms=now - 90 * DAY_MS, last_activity_ms=now - 45 * DAY_MS,
                          props=world.login_props(user, platform="Linux", os="Linux", browser="Firefox/126.0")),
        world.add_session(user, create_ms=now - 60 * DAY_MS, last_activity_ms=now - 31 * DAY_MS, device_id="android_rn:1",
                          props=world.login_props(user, platform="Linux", os="Android", browser="Mobile App/2.16.1",
                                                  mobile=True)),
    ]


def revoked_ids(world: World) -> list[str]:
    """The session ids the bot asked Mattermost to revoke one by one, in order."""
    return [json.loads(e.request_body)["session_id"] for e in world.calls(method="POST", path_regex=r"/sessions/revoke$")]


def test_revoke_all_of_alices_inactive_sessions_signs_out_only_those_one_by_one(slash, world):
    stale = add_stale_sessions(world, "alice")
    fresh = session_ids(world, "alice") - {s["id"] for s in stale}
    reply = slash("usermanager", "revoke-all @alice --inactive 30d --yes").visible_text
    assert reply.startswith("✅ Signed @alice out of 2 sessions (sessions inactive for more than 30 days):")
    assert "Firefox on Linux" in reply and "the mobile app on Android" in reply
    assert session_ids(world, "alice") == fresh
    assert sorted(revoked_ids(world)) == sorted(s["id"] for s in stale)
    assert world.calls(path_regex=r"/revoke/all$") == []


def test_a_filtered_revoke_all_without_yes_shows_exactly_what_it_would_sign_out(slash, world):
    add_stale_sessions(world, "alice")
    before = session_ids(world, "alice")
    reply = slash("usermanager", "revoke-all --inactive 30d @alice").visible_text
    assert reply.startswith("**This will sign @alice out of 2 sessions** (sessions inactive for more than 30 days):")
    assert "The other 4 sessions stay signed in." in reply
    assert reply.endswith("To go ahead, run `/sessions revoke-all @alice --inactive 30d --yes`.")
    assert "Chrome on Mac OS" not in reply and "Firefox on Linux" in reply
    assert session_ids(world, "alice") == before and revocations(world) == []


def test_filters_combine_so_only_sessions_matching_all_of_them_go(slash, world):
    firefox, phone = add_stale_sessions(world, "alice")
    reply = slash("alice", "revoke-all --platform mobile --older-than 30d --inactive 30d --yes").visible_text
    assert reply.startswith("✅ Signed you out of 1 session (mobile app sessions signed in more than 30 days ago and ")
    assert revoked_ids(world) == [phone["id"]] and firefox["id"] in session_ids(world, "alice")


def test_signing_out_your_api_sessions_leaves_your_devices_signed_in(slash, world):
    before = world.sessions_of(uid(world, "alice"))
    token = next(s["id"] for s in before if s["props"].get("type") == "UserAccessToken")
    reply = slash("alice", "revoke-all --platform api --yes").visible_text
    assert reply.startswith("✅ Signed you out of 1 session (API token sessions):")
    assert "Signing out does not disable personal access tokens" in reply
    assert session_ids(world, "alice") == {s["id"] for s in before} - {token}


def test_list_with_a_filter_shows_only_the_matches_and_names_the_filter(slash, world):
    text = slash("usermanager", "list @alice --platform mobile,desktop").visible_text
    assert text.startswith("#### @alice's sessions (2 of 4)\nShowing only desktop app or mobile app sessions.")
    assert "📱 Mobile app" in text and "🖥️ Desktop app" in text
    assert "🌐 Web browser" not in text and "🔑 Personal access token" not in text


def test_list_with_a_filter_nothing_matches_says_so(slash):
    assert slash("alice", "list --older-than 1w --platform web").visible_text == (
        "No sessions match: you have no web browser sessions signed in more than 1 week ago. "
        "See every session with `/sessions list`."
    )


def test_a_filter_changes_nothing_about_who_may_act_on_whom(slash, world):
    add_stale_sessions(world, "alice")
    assert "edit_other_users" in slash("bob", "revoke-all @alice --inactive 30d --yes").visible_text
    assert "edit_other_users" in slash("bob", "list @alice --platform mobile").visible_text
    assert "manage_system" in slash("usermanager", "revoke-all @sysadmin --platform web --yes").visible_text
    assert "never signs itself out" in slash("sysadmin", "revoke-all @sessionsbot --platform api --yes").visible_text
    assert not world.calls(path_regex=r"/sessions(/|$)")


def test_a_filtered_revoke_all_with_nothing_matching_revokes_nothing(slash, world):
    reply = slash("alice", "revoke-all --inactive 30d --yes").visible_text
    assert reply.startswith("Nothing to sign out: you have no sessions inactive for more than 30 days.")
    assert revocations(world) == []


def test_a_session_that_ended_meanwhile_is_not_an_error_and_not_claimed(slash, world):
    phone = add_stale_sessions(world, "alice")[1]  # the most recently active of the two: revoked first
    world.faults.add(r"/sessions/revoke$", method="POST", times=1,
                     before=lambda: world.revoke_session(phone["id"]))  # it ends just before the bot asks
    reply = slash("usermanager", "revoke-all @alice --inactive 30d --yes").visible_text
    assert reply.startswith("✅ Signed @alice out of 1 session (")
    assert "Already signed out meanwhile: 1 session." in reply and "⚠️" not in reply
    assert len(revoked_ids(world)) == 2


def test_a_failure_part_way_stops_and_reports_exactly_what_was_and_was_not_done(slash, world):
    stale = add_stale_sessions(world, "alice")
    world.faults.add(r"/sessions/revoke$", method="POST", status=500, times=1)
    reply = slash("usermanager", "revoke-all @alice --inactive 30d --yes").visible_text
    # most recently active first, as the preview lists them: the phone, then Firefox
    assert "✅" not in reply and reply.startswith("⚠️ Stopped at the mobile app on Android, last active a month ago, which")
    assert "HTTP 500" in reply and "Not tried, so still signed in (1 session):\n- 🌐 Firefox on Linux" in reply
    assert {s["id"] for s in stale} <= session_ids(world, "alice") and len(revoked_ids(world)) == 1


def test_mattermosts_rate_limit_is_waited_out_between_single_revocations(slash, world):
    stale = add_stale_sessions(world, "alice")
    world.faults.add(r"/sessions/revoke$", method="POST", status=429, times=1)
    reply = slash("alice", "revoke-all --inactive 30d --yes").visible_text
    assert reply.startswith("✅ Signed you out of 2 sessions")
    assert not {s["id"] for s in stale} & session_ids(world, "alice")


def test_a_filter_that_is_not_understood_gets_usage_and_touches_nothing(slash, world):
    text = slash("usermanager", "revoke-all @alice --inactive 30 --yes").visible_text
    assert text.startswith("`30` is not a duration: write a whole number and a unit") and "**/sessions**" in text
    assert world.exchanges == []
