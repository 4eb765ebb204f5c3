"""What the user reads: tables, confirmations, previews and error messages."""
import re

import pytest

from bot.core.audit import EVERYONE, AuditEvent
from bot.core.commands import Cancel, Problem, ProblemKind, RevokeAll, UserRef
from bot.core.errors import (
    AmbiguousSession,
    BotLacksPermission,
    BotTokenRejected,
    MattermostUnreachable,
    Refused,
    SessionAlreadyGone,
    SessionNotFound,
    TargetDeactivated,
    UpstreamMalformed,
    UpstreamRejected,
    UserNotFound,
)
from bot.core.filters import Duration, SessionFilter
from bot.core.model import Session, User
from bot.core.permissions import Refusal
from bot.core.results import Revocation
from bot.replies.errors import STILL_WORKING, error_message
from bot.replies.everyone import everyone_preview
from bot.replies.notices import audit_line, target_notice
from bot.replies.sessions import (
    SELF_MAYBE_NOTE,
    SELF_REVOKE_NOTE,
    filtered_list,
    filtered_preview,
    revoke_all_preview,
    revoked_all,
    revoked_one,
    revoked_selection,
    session_list,
)
from bot.replies.tokens import (
    LAST_USED_NOTE,
    disable_tokens_preview,
    everything_preview,
    token_list,
    tokens_disabled,
)
from bot.replies.usage import USAGE, usage
from bot.replies.values import Reply
from bot.replies.words import MAX_LISTED, TOKEN_NOTE
from tests.support.factories import (
    DAY,
    HOUR,
    MINUTE,
    NOW_MS,
    session_json,
    token_session_json,
)

ALICE = User(id="a" * 26, username="alice", email="alice@example.com", roles=frozenset({"system_user"}), is_bot=False, deactivated=False)


def s(**kw) -> Session:
    return Session.from_api(session_json(**kw))


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Device")]


def test_list_is_a_table_sorted_by_last_activity_with_relative_times():
    older = s(last_activity_at=NOW_MS - 3 * HOUR, props={"browser": "Firefox/121.0", "os": "Linux", "platform": "Linux"})
    newer = s(last_activity_at=NOW_MS - 5 * MINUTE)
    text = session_list(None, [older, newer], NOW_MS).text
    rows = table_rows(text)
    assert text.startswith("#### Your sessions (2)")
    assert "5 minutes ago" in rows[0] and "Chrome" in rows[0]
    assert "3 hours ago" in rows[1] and "Firefox" in rows[1]


def test_list_shows_signed_in_date_expiry_and_the_id_revoke_takes():
    session = s(id="q" * 26, create_at=NOW_MS - 3 * DAY)
    row = table_rows(session_list(None, [session], NOW_MS).text)[0]
    assert "`qqqqqqqq`" in row
    assert re.search(r"\| 20\d\d-\d\d-\d\d \|", row)
    assert "in 27 days" in row  # precise, not "in a month"


def test_list_of_another_user_names_them_and_their_commands():
    text = session_list(ALICE, [s()], NOW_MS).text
    assert text.startswith("#### @alice's sessions (1)")
    assert "`/sessions revoke <ID> @alice`" in text and "`/sessions revoke-all @alice`" in text


def test_list_marks_each_kind_of_device():
    sessions = [
        s(),
        s(props={"browser": "Desktop App/5.6.0"}),
        s(device_id="apple_rn:abc"),
        Session.from_api(token_session_json()),
        Session.from_api(token_session_json(bot=True)),
    ]
    text = session_list(None, sessions, NOW_MS).text
    for marker in ("🌐 Web browser", "🖥️ Desktop app", "📱 Mobile app", "🔑 Personal access token", "🤖 Bot token"):
        assert marker in text


def test_list_never_shows_the_csrf_prop_or_token():
    text = session_list(None, [s(token="tok-secret")], NOW_MS).text
    assert "csrf" not in text and "tok-secret" not in text


def test_list_with_token_sessions_says_tokens_stay_valid():
    assert TOKEN_NOTE in session_list(None, [s(), Session.from_api(token_session_json())], NOW_MS).text
    assert TOKEN_NOTE not in session_list(None, [s()], NOW_MS).text


def test_token_sessions_never_expire_and_expired_sessions_say_so():
    text = session_list(None, [Session.from_api(token_session_json()), s(expires_at=NOW_MS - 2 * DAY)], NOW_MS).text
    assert "| never |" in text and "expired 2 days ago" in text


def test_empty_list_says_there_are_no_sessions():
    assert session_list(None, [], NOW_MS).text == "You have no active sessions."
    assert session_list(ALICE, [], NOW_MS).text == "@alice has no active sessions."


def test_over_fifty_sessions_show_the_most_recent_and_count_the_rest():
    sessions = [s(last_activity_at=NOW_MS - i * MINUTE) for i in range(80)]
    text = session_list(None, sessions, NOW_MS).text
    assert len(table_rows(text)) == MAX_LISTED
    assert "…and 30 more, less recently active, not shown." in text
    assert "#### Your sessions (80)" in text


def test_two_thousand_sessions_stay_under_mattermosts_post_limit():
    sessions = [s(last_activity_at=NOW_MS - i * MINUTE, props={"browser": "B" * 500}) for i in range(2000)]
    assert len(session_list(None, sessions, NOW_MS).text) < 16383


@pytest.mark.parametrize("evil", ["| x | [click](http://evil)", "`code` **bold** <b>x</b>", "line\nbreak", "a_b_c*d*"])
def test_device_names_cannot_break_the_table_or_make_links(evil):
    row = table_rows(session_list(None, [s(props={"browser": evil, "os": evil, "platform": evil})], NOW_MS).text)[0]
    assert row.count("|") == 9
    for forbidden in ("[", "]", "`code`", "<b>", "*", "\n", "http://"):
        assert forbidden not in row.replace("`" + row.split("`")[1] + "`", "")


def test_revoking_one_session_confirms_device_and_last_activity():
    text = revoked_one(None, s(last_activity_at=NOW_MS - 3 * HOUR), [], NOW_MS).text
    assert text == "✅ Signed out of Chrome on Mac OS, last active 3 hours ago."


def test_revoking_another_users_token_session_names_them_and_warns_about_tokens():
    text = revoked_one(ALICE, Session.from_api(token_session_json()), [], NOW_MS).text
    assert text.startswith("✅ Signed @alice out of a personal access token session")
    assert TOKEN_NOTE in text


def test_revoke_all_preview_says_how_many_which_devices_and_how_to_confirm():
    text = revoke_all_preview(ALICE, [s(), s(device_id="android_rn:x", last_activity_at=NOW_MS - DAY)], NOW_MS).text
    assert "**This will sign @alice out of 2 sessions:**" in text
    assert "Chrome on Mac OS, last active 5 minutes ago" in text
    assert "the mobile app on Android, last active a day ago" in text
    assert text.endswith("To go ahead, run `/sessions revoke-all @alice --yes`.")


def test_revoke_all_preview_for_yourself_warns_this_session_goes_too():
    assert SELF_REVOKE_NOTE in revoke_all_preview(None, [s()], NOW_MS).text


def test_revoke_all_preview_with_nothing_to_do_says_so():
    assert "nothing to sign out" in revoke_all_preview(None, [], NOW_MS).text


def test_revoked_all_lists_what_was_signed_out():
    text = revoked_all(None, [s(), s()], NOW_MS).text
    assert text.startswith("✅ Signed you out of 2 sessions:")


def test_still_working_promises_the_result_and_asks_not_to_run_the_command_again():
    assert STILL_WORKING.startswith("⏳ Still working")
    assert "result will appear here" in STILL_WORKING
    assert "no need to run the command again" in STILL_WORKING


def test_usage_with_a_problem_leads_with_the_problem():
    assert usage(Problem(ProblemKind.UNKNOWN_COMMAND, "x")).startswith("I don't know the command `x`.\n\n**/sessions**")


REF = UserRef("username", "zed", "@zed")
ERRORS = [
    (Refused(Refusal.NEEDS_EDIT_OTHER_USERS, target=None, ref=REF), ["edit_other_users", "`@zed`", "Nothing was changed"]),
    (Refused(Refusal.TARGET_IS_SYSTEM_ADMIN, target=ALICE), ["@alice is a system admin", "manage_system", "Nothing was changed"]),
    (Refused(Refusal.TARGET_IS_THIS_BOT, target=ALICE), ["never signs itself out"]),
    (UserNotFound(REF), ["couldn't find a user named `@zed`"]),
    (UserNotFound(UserRef("email", "z@x.io", "z@x.io")), ["email address `z@x.io`"]),
    (TargetDeactivated(ALICE), ["@alice is deactivated"]),
    (SessionNotFound("abcdef", None), ["No session of yours", "`abcdef`", "`/sessions list`"]),
    (SessionNotFound("abcdef", ALICE), ["No session of @alice", "`/sessions list @alice`"]),
    (SessionAlreadyGone(Session.from_api(session_json())), ["already signed out"]),
    (MattermostUnreachable("it did not answer within 5 s"), ["couldn't reach Mattermost", "5 s", "/sessions list"]),
    (BotTokenRejected(), ["rejected the sessions bot's access token", "admin"]),
    (BotLacksPermission(ALICE), ["@alice's", "edit_other_users", "manage_system"]),
    (UpstreamRejected(500, "app.x.y"), ["HTTP 500", "app.x.y"]),
    (UpstreamRejected(429, "", 7.0), ["Mattermost is busy; try again in 7 seconds."]),
    (UpstreamMalformed("bad shape"), ["not what the sessions bot expected"]),
]


@pytest.mark.parametrize(("error", "phrases"), ERRORS, ids=lambda v: type(v).__name__ if not isinstance(v, list) else "")
def test_every_error_has_a_clear_message(error, phrases):
    text = error_message(error)
    for phrase in phrases:
        assert phrase in text


def test_ambiguous_prefix_lists_every_match_and_revokes_nothing():
    a, b = s(id="abcdef" + "1" * 20), s(id="abcdef" + "2" * 20)
    text = error_message(AmbiguousSession("abcdef", [a, b]))
    assert "matches 2 sessions, so nothing was signed out" in text
    assert "`abcdef11`" in text and "`abcdef22`" in text and a.id not in text and b.id not in text


@pytest.mark.parametrize(("wait_s", "says"), [
    (None, "try again in a few seconds."), (float("inf"), "try again in a few seconds."), (0.0, "try again in 1 second."),
    (1.0, "try again in 1 second."), (2.2, "try again in 3 seconds."), (90.0, "try again in 90 seconds."),
    (91.0, "try again in 2 minutes."), (3600.0, "try again in 60 minutes."), (3601.0, "try again later."),
])
def test_a_429_says_mattermost_is_busy_and_when_to_try_again(wait_s, says):
    assert error_message(UpstreamRejected(429, "", wait_s)).startswith(f"⚠️ Mattermost is busy; {says}")


@pytest.mark.parametrize("error", [
    UpstreamMalformed("GET /users/" + "u" * 26 + "/sessions did not answer JSON"),
    UpstreamRejected(500, "u" * 26), UpstreamRejected(404, "/api/v4/users/" + "u" * 26),
])
def test_no_mattermost_error_shows_the_call_or_an_id_it_came_with(error):
    text = error_message(error)
    assert "/users/" not in text and "u" * 26 not in text and "Mattermost" in text


# --- filters -----------------------------------------------------------------------------------

STALE = SessionFilter(inactive=Duration(30, "d"))


def stale_and_fresh() -> tuple[list[Session], list[Session]]:
    stale = [s(last_activity_at=NOW_MS - 40 * DAY), s(device_id="android_rn:x", last_activity_at=NOW_MS - 60 * DAY)]
    fresh = [s(last_activity_at=NOW_MS - HOUR), s(last_activity_at=NOW_MS - 2 * DAY)]
    return stale, fresh


def test_a_filtered_list_shows_only_the_matches_and_says_which_filter():
    stale, fresh = stale_and_fresh()
    text = filtered_list(ALICE, STALE.select(stale + fresh, NOW_MS), NOW_MS).text
    assert text.startswith("#### @alice's sessions (2 of 4)\nShowing only sessions inactive for more than 30 days.")
    assert len(table_rows(text)) == 2 and "a month ago" in table_rows(text)[0] and "hour" not in text
    assert "all of them with `/sessions revoke-all @alice --inactive 30d`" in text


def test_a_filtered_list_with_no_match_says_no_sessions_match():
    _, fresh = stale_and_fresh()
    assert filtered_list(None, STALE.select(fresh, NOW_MS), NOW_MS).text == (
        "No sessions match: you have no sessions inactive for more than 30 days. "
        "See every session with `/sessions list`."
    )
    assert filtered_list(ALICE, STALE.select([], NOW_MS), NOW_MS).text == (
        "No sessions match: @alice has no sessions inactive for more than 30 days."
    )


def test_a_filtered_list_with_buttons_offers_to_sign_out_only_the_matches():
    stale, fresh = stale_and_fresh()
    reply = filtered_list(ALICE, STALE.select(stale + fresh, NOW_MS), NOW_MS, buttons=True)
    last = reply.attachments[-1].buttons[0]
    assert [a.buttons[0].label for a in reply.attachments] == ["Sign out", "Sign out", "Sign out all of these"]
    assert last.command == RevokeAll(UserRef("id", ALICE.id, "@alice"), confirmed=False, filter=STALE)


def test_a_filtered_preview_lists_exactly_what_the_filter_selects_and_what_stays():
    stale, fresh = stale_and_fresh()
    text = filtered_preview(ALICE, STALE.select(stale + fresh, NOW_MS), NOW_MS).text
    assert text.startswith("**This will sign @alice out of 2 sessions** (sessions inactive for more than 30 days):\n")
    assert "last active a month ago" in text and "the mobile app on Android, last active 2 months ago" in text
    assert "hour ago" not in text and "2 days ago" not in text
    assert "The other 2 sessions stay signed in." in text
    assert text.endswith("To go ahead, run `/sessions revoke-all @alice --inactive 30d --yes`.")


def test_a_filtered_preview_for_yourself_cannot_know_whether_this_session_goes_too():
    stale, fresh = stale_and_fresh()
    text = filtered_preview(None, STALE.select(stale + fresh[:1], NOW_MS), NOW_MS).text
    assert SELF_MAYBE_NOTE in text and SELF_REVOKE_NOTE not in text
    assert "The other session stays signed in." in text


def test_a_filtered_preview_with_buttons_confirms_the_same_filter():
    stale, _ = stale_and_fresh()
    reply = filtered_preview(None, STALE.select(stale, NOW_MS), NOW_MS, buttons=True)
    confirm, cancel = reply.attachments[0].buttons
    assert (confirm.label, confirm.command) == ("Sign out these sessions", RevokeAll(None, confirmed=True, filter=STALE))
    assert cancel.command == Cancel()
    assert "Confirm below, or run `/sessions revoke-all --inactive 30d --yes`." in reply.text


def test_a_filtered_preview_with_no_match_has_nothing_to_sign_out():
    _, fresh = stale_and_fresh()
    text = filtered_preview(ALICE, STALE.select(fresh, NOW_MS), NOW_MS, buttons=True)
    assert text == Reply(
        "Nothing to sign out: @alice has no sessions inactive for more than 30 days. "
        "See every session with `/sessions list @alice`."
    )


def test_an_unfiltered_preview_still_confirms_everything():
    confirm = revoke_all_preview(None, [s()], NOW_MS, buttons=True).attachments[0].buttons[0]
    assert (confirm.label, confirm.command) == ("Sign out everywhere", RevokeAll(None, confirmed=True))


def test_a_filtered_revocation_names_what_it_signed_out():
    stale, fresh = stale_and_fresh()
    selection = STALE.select(stale + fresh, NOW_MS)
    text = revoked_selection(ALICE, selection, Revocation(done=tuple(stale)), NOW_MS).text
    assert text.startswith("✅ Signed @alice out of 2 sessions (sessions inactive for more than 30 days):\n- ")
    assert "⚠️" not in text and "Already" not in text


def test_a_filtered_revocation_tells_sessions_gone_meanwhile_apart_from_those_it_signed_out():
    stale, _ = stale_and_fresh()
    selection = STALE.select(stale, NOW_MS)
    text = revoked_selection(None, selection, Revocation(done=stale[:1], gone=stale[1:]), NOW_MS).text
    assert text.startswith("✅ Signed you out of 1 session (")
    assert "Already signed out meanwhile: 1 session." in text and "Android" not in text
    nothing = revoked_selection(None, selection, Revocation(gone=tuple(stale)), NOW_MS).text
    assert nothing == "Nothing left to sign out.\nAlready signed out meanwhile: 2 sessions."


def test_a_revocation_that_stopped_says_what_was_done_where_it_stopped_and_what_was_not_tried():
    first, second, third = (s(last_activity_at=NOW_MS - days * DAY, props={"os": f"OS {days}"}) for days in (40, 50, 60))
    selection = STALE.select([first, second, third], NOW_MS)
    revocation = Revocation(done=(first,), stopped_at=(second, UpstreamRejected(500, "app.x")), untried=(third,))
    text = revoked_selection(ALICE, selection, revocation, NOW_MS).text
    assert text.startswith("✅ Signed @alice out of 1 session (sessions inactive for more than 30 days):\n- 🌐 Chrome on OS 40")
    assert "⚠️ Stopped at Chrome on OS 50, last active 2 months ago, which may still be signed in. " \
           "Mattermost answered with an unexpected error (HTTP 500, `app.x`)." in text
    assert "Not tried, so still signed in (1 session):\n- 🌐 Chrome on OS 60" in text
    assert text.endswith("Running the same command again signs out only what still matches.")
    assert "Nothing was changed" not in text


def test_a_revocation_that_stopped_at_once_claims_nothing():
    stale, _ = stale_and_fresh()
    revocation = Revocation(stopped_at=(stale[0], BotLacksPermission(ALICE)), untried=tuple(stale[1:]))
    text = revoked_selection(ALICE, STALE.select(stale, NOW_MS), revocation, NOW_MS).text
    assert text.startswith("⚠️ Stopped at Chrome on Mac OS")
    assert "✅" not in text and "Nothing was changed" not in text and "lacks permission" in text


def test_usage_explains_the_filters_and_durations():
    for phrase in ("--platform mobile", "`api` (personal access and bot tokens)", "--older-than 30d", "--inactive 7d",
                   "m (minutes), h (hours), d (days) or w (weeks)", "`/sessions revoke-all @alice --platform mobile`"):
        assert phrase in USAGE


def test_the_audit_channel_line_names_the_filter():
    event = AuditEvent("revoke-all", "ok", "", "a" * 26, "um", "b" * 26, "alice", ("s" * 26,), "", "", "slash",
                       filter=SessionFilter(inactive=Duration(30, "d")))
    assert audit_line(event) == (
        "🔐 `@um` · revoke-all · `@alice` · **ok**, 1 session(s) · only sessions inactive for more than 30 days · via slash"
    )


# --- personal access tokens and everyone -----------------------------------------------------------

from bot.core.audit import Notice  # noqa: E402
from bot.core.commands import DisableTokens  # noqa: E402
from bot.core.model import AccessToken  # noqa: E402
from bot.core.results import Disabling  # noqa: E402

BOT_ACCOUNT = User(id="d" * 26, username="deploybot", email="", roles=frozenset(), is_bot=True, deactivated=False)


def token(description: str = "ci job", *, active: bool = True, n: int = 0) -> AccessToken:
    return AccessToken.from_api({"id": f"{n:02d}" + "t" * 24, "token": "SECRET-VALUE", "user_id": "a" * 26,
                                 "description": description, "is_active": active})


def test_the_token_model_keeps_no_value():
    assert "SECRET-VALUE" not in repr(token())


def test_token_list_shows_active_first_with_state_last_use_and_id():
    used = {token(n=1).id: NOW_MS - 9 * DAY}
    text = token_list(ALICE, [token("old", active=False, n=0), token("calendar", n=1)], used, NOW_MS).text
    lines = text.splitlines()
    assert lines[0] == "#### @alice's personal access tokens (2)"
    assert lines[1] == f"- 🔑 `calendar`: ✅ active, last used 9 days ago, ID `{token(n=1).id}`"
    assert lines[2] == f"- 🔑 `old`: ⏸️ disabled, last used unknown, ID `{token(n=0).id}`"
    assert LAST_USED_NOTE in text and "`/sessions disable-tokens @alice`" in text


def test_token_list_without_permission_to_see_sessions_says_last_use_is_not_shown():
    text = token_list(BOT_ACCOUNT, [token()], None, NOW_MS).text
    assert "last used" not in text.splitlines()[1] and "is not shown" in text


def test_no_tokens_is_said_plainly():
    assert token_list(None, [], {}, NOW_MS).text == "You have no personal access tokens."


@pytest.mark.parametrize("evil", ["`x` **b** [l](http://e)", "a\nb", "x" * 500])
def test_a_token_description_stays_inert_inline_code(evil):
    line = token_list(None, [token(evil)], {}, NOW_MS).text.splitlines()[1]
    assert line.count("`") == 4 and "\n" not in line and len(line) < 200


def test_disable_tokens_preview_lists_what_would_be_disabled_with_a_confirm_button():
    reply = disable_tokens_preview(ALICE, [token("a", n=1), token("b", n=2)], buttons=True)
    assert reply.text.startswith("**This will disable @alice's 2 active personal access tokens:**")
    assert "Confirm below, or run `/sessions disable-tokens @alice --yes`." in reply.text
    confirm, cancel = reply.attachments[0].buttons
    assert confirm.command == DisableTokens(UserRef("id", ALICE.id, "@alice"), confirmed=True)
    assert (confirm.label, cancel.label) == ("Disable 2 personal access tokens", "Cancel")


def test_a_disabling_that_stopped_says_what_may_still_work():
    disabling = Disabling(done=(token("a", n=1),), stopped_at=(token("b", n=2), UpstreamRejected(500, "x")),
                          untried=(token("c", n=3),))
    text = tokens_disabled(ALICE, disabling).text
    assert text.startswith("🔑 Disabled @alice's 1 personal access token:")
    assert "⚠️ Stopped at `b`, which may still work." in text and "Not tried, so still active (1 personal" in text


def test_everything_preview_for_tokens_only_does_not_mention_sessions():
    text = everything_preview(ALICE, [], [token()], NOW_MS).text
    assert text.startswith("**This will disable @alice's 1 active personal access token:**") and "Sessions:" not in text


def test_the_everyone_preview_shows_the_code_and_what_happens_to_tokens_and_no_button():
    reply = everyone_preview("K7PX2M", 600)
    assert "`/sessions revoke-all --everyone --confirm K7PX2M`" in reply.text and reply.attachments == ()
    assert "tokens are not touched" in reply.text and "10 minutes" in reply.text


def test_a_notice_of_disabled_tokens_alone():
    text = target_notice(Notice("a" * 26, "sysadmin", (), False, NOW_MS, (token("ci"),)), NOW_MS)
    assert text.startswith("🔐 @sysadmin disabled your 1 personal access token on ") and "`ci`" in text


@pytest.mark.parametrize("refusal, phrases", [
    (Refusal.NEEDS_READ_USER_ACCESS_TOKEN, ["**read_user_access_token**", "even for your own"]),
    (Refusal.NEEDS_REVOKE_USER_ACCESS_TOKEN, ["**revoke_user_access_token**", "Without `--tokens`"]),
    (Refusal.TARGET_IS_BOT, ["@deploybot is a bot account", "**manage_others_bots**"]),
    (Refusal.NEEDS_MANAGE_SYSTEM, ["Signing every user out", "**manage_system**"]),
    (Refusal.WRONG_CONFIRMATION_CODE, ["wrong or has expired", "`/sessions revoke-all --everyone`"]),
])
def test_token_and_everyone_refusals(refusal, phrases):
    text = error_message(Refused(refusal, target=BOT_ACCOUNT))
    for phrase in phrases:
        assert phrase in text


def test_the_bot_lacking_a_token_permission_says_which():
    text = error_message(BotLacksPermission(ALICE, doing="disable_tokens"))
    assert "disable @alice's personal access tokens" in text and "revoke_user_access_token" in text


def test_the_audit_channel_line_counts_tokens_and_names_everyone():
    event = AuditEvent("revoke-all", "ok", "", "a" * 26, "um", "b" * 26, "alice", ("s" * 26,), "", "", "slash",
                       token_ids=("t" * 26,))
    assert audit_line(event) == "🔐 `@um` · revoke-all · `@alice` · **ok**, 1 session(s), 1 token(s) disabled · via slash"
    everyone = AuditEvent("revoke-everyone", "ok", "", "a" * 26, "sa", "", EVERYONE, (), "", "", "slash")
    assert audit_line(everyone) == "🔐 `@sa` · revoke-everyone · everyone · **ok** · via slash"


def test_usage_names_every_new_command():
    for phrase in ("`/sessions tokens`", "`/sessions disable-tokens`", "`/sessions revoke-all --tokens`",
                   "`/sessions revoke-all --everyone`", "read_user_access_token", "revoke_user_access_token",
                   "manage_others_bots"):
        assert phrase in USAGE
