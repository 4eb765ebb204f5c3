"""Replay and forgery over HTTP: what the bot trusts, and what it never does for a request it cannot trust.

(a) Slash commands: the command token is the only credential. With it, the form's ``user_id`` is the caller,
    whoever that is; without it (or with any other token beside it) nothing happens and Mattermost is not called.
(b) Button clicks are unsigned (../shared/MATTERMOST.md §2.2-2.3): only the context the bot signed counts, for
    the user it was made for, for 15 minutes, and it is re-checked against the world as it is at click time.
(c) ``response_url`` never sends the bot anywhere but ``MATTERMOST_URL``.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Iterator
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask, Response, request
from itsdangerous import Serializer, URLSafeTimedSerializer
from werkzeug.http import HTTP_STATUS_CODES

from bot.core.commands import Cancel, RevokeAll, RevokeMany, RevokeSession, UserRef
from bot.core.errors import ExpiredButton, ForeignButton, ForgedButton
from bot.replies.errors import STILL_WORKING, error_message
from bot.sandbox import (
    World,
    buttons_of,
    click_button,
    run_registered_command,
    run_slash_command,
    send_action,
)
from bot.sandbox.background import BackgroundServer
from bot.web.buttons import ButtonSigner
from tests.support.lookups import audit_records, session_ids, uid
from tests.support.settings import BOT_SECRET, COMMAND_TOKEN
from tests.support.settings import actions_url as actions_url_of
from tests.support.waiting import eventually

FORGED = error_message(ForgedButton())
EXPIRED = error_message(ExpiredButton(15 * 60))
FOREIGN = error_message(ForeignButton())
OTHER_SECRET = "another-secret-of-at-least-32-characters!"
#: A token that ``acme``'s /sessions command has in these tests (Mattermost makes it 26 characters).
ACME_TOKEN = "acmecommandtoken0000000001"
BETA_TOKEN = "betacommandtoken0000000002"


def everyones_sessions(world: World) -> set[str]:
    return {s["id"] for user in world.users() for s in world.sessions_of(user["id"])}


def form(world: World, username: str, text: str, *, token: str | None = COMMAND_TOKEN, team: str = "acme",
         **overrides: str) -> dict[str, str]:
    """The form Mattermost posts for ``username`` typing ``/sessions <text>`` (§1.2), with ``overrides``."""
    team_record = world.team_by_name(team)
    channel = world.channel_by_name("town-square", team_record["id"])
    fields = {"team_id": team_record["id"], "team_domain": team_record["name"], "channel_id": channel["id"],
              "channel_name": "town-square", "user_id": uid(world, username), "user_name": username,
              "command": "/sessions", "text": text, "response_url": ""}
    if token is not None:
        fields["token"] = token
    return fields | overrides


# --- (a) slash commands: the command token is the credential -------------------------------------

def test_with_the_command_token_a_spoofed_form_acts_as_the_user_id_it_names(bot, world, caplog):
    """Nobody typed this: whoever holds the command token claims to be sysadmin, and is believed."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    response = bot.http.post(bot.url + "/slash/sessions", data=form(world, "sysadmin", "revoke-all @alice --yes"),
                             timeout=10)
    assert response.status_code == 200 and response.json()["text"].startswith("✅ Signed @alice out of 4 sessions")
    assert session_ids(world, "alice") == set()
    [record] = audit_records(caplog)
    assert (record["actor_id"], record["result"]) == (uid(world, "sysadmin"), "ok")


def test_permission_comes_from_the_user_id_never_from_the_user_name(bot, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    spoofed = form(world, "bob", "revoke-all @alice --yes", user_name="sysadmin")
    response = bot.http.post(bot.url + "/slash/sessions", data=spoofed, timeout=10)
    assert "edit_other_users" in response.json()["text"] and len(session_ids(world, "alice")) == 4
    [record] = audit_records(caplog)
    # The audit keeps the name Mattermost sent beside the id that decided: with a valid token both are as vouched.
    assert (record["actor_id"], record["actor_username"], record["result"]) == (uid(world, "bob"), "sysadmin", "refused")


def test_a_deactivated_admins_user_id_grants_nothing_even_with_the_token(bot, world):
    world.add_user("formeradmin", "system_user system_admin", deactivated=True)
    response = bot.http.post(bot.url + "/slash/sessions", data=form(world, "formeradmin", "revoke-all @alice --yes"),
                             timeout=10)
    assert "Your account is deactivated" in response.json()["text"] and len(session_ids(world, "alice")) == 4


def test_a_user_id_naming_nobody_acts_on_nobody(bot, world):
    before = everyones_sessions(world)
    for text in ("revoke-all --yes", "revoke-all @alice --yes", "list @alice"):
        response = bot.http.post(bot.url + "/slash/sessions",
                                 data=form(world, "alice", text, user_id="nobody0000000000000000000a"), timeout=10)
        assert response.status_code == 200 and response.json()["response_type"] == "ephemeral"
    assert before <= everyones_sessions(world)  # (the bot's own token opens a session on first use)


FORGED_CREDENTIALS: dict[str, tuple[dict[str, Any], dict[str, str], str]] = {
    # name: (form changes, headers, query string)
    "no token at all": ({"token": None}, {}, ""),
    "an empty token": ({"token": ""}, {}, ""),
    "a wrong token": ({"token": "forged-token-xxxxxxxxxxxxxx"}, {}, ""),
    "the token with a character changed": ({"token": COMMAND_TOKEN[:-1] + "x"}, {}, ""),
    "the token upper-cased": ({"token": COMMAND_TOKEN.upper()}, {}, ""),
    "a prefix of the token": ({"token": COMMAND_TOKEN[:10]}, {}, ""),
    "the token with a space": ({"token": COMMAND_TOKEN + " "}, {}, ""),
    "the bot secret as token": ({"token": BOT_SECRET}, {}, ""),
    "the token only in the query string": ({"token": None}, {}, urlencode({"token": COMMAND_TOKEN})),
    "the token as a Bearer header": ({"token": None}, {"Authorization": f"Bearer {COMMAND_TOKEN}"}, ""),
    "the token as Basic credentials": ({"token": None}, {"Authorization": f"Basic {COMMAND_TOKEN}"}, ""),
    "a valid form token beside a forged header": ({}, {"Authorization": "Token forged-token-xxxxxxxxxx"}, ""),
    "a valid header beside a forged form token": ({"token": "forged"}, {"Authorization": f"Token {COMMAND_TOKEN}"}, ""),
    "a valid and a forged token field": ({"token": [COMMAND_TOKEN, "forged"]}, {}, ""),
    "two valid token fields": ({"token": [COMMAND_TOKEN, COMMAND_TOKEN]}, {}, ""),
}


@pytest.mark.parametrize("case", FORGED_CREDENTIALS)
def test_without_exactly_the_command_token_nothing_happens_and_mattermost_is_not_called(bot, world, case):
    changes, headers, query = FORGED_CREDENTIALS[case]
    fields: list[tuple[str, str]] = []
    for key, value in (form(world, "sysadmin", "revoke-all @alice --yes") | changes).items():
        fields += [(key, v) for v in (value if isinstance(value, list) else [value]) if v is not None]
    response = bot.http.post(bot.url + "/slash/sessions" + ("?" + query if query else ""), data=fields,
                             headers=headers, timeout=10)
    assert response.status_code in (400, 401) and response.text == f"{response.status_code} {HTTP_STATUS_CODES[response.status_code]}\n"
    assert world.exchanges == [] and len(session_ids(world, "alice")) == 4


def test_another_teams_command_token_works_only_once_configured(world, mattermost, make_bot):
    """``SLASH_COMMAND_TOKENS`` lists one token per team; a token is good for any form once it is listed."""
    sysadmin = uid(world, "sysadmin")
    only_acme = make_bot(slash_command_tokens=ACME_TOKEN)
    both = make_bot(slash_command_tokens=f"{ACME_TOKEN},{BETA_TOKEN}")
    for team, token in (("acme", ACME_TOKEN), ("beta", BETA_TOKEN)):
        world.create_command(sysadmin, {"team_id": world.team_by_name(team)["id"], "trigger": "sessions", "method": "P",
                                        "url": only_acme.url + "/slash/sessions", "token": token})

    def typed(bot: BackgroundServer, token: str, team: str) -> Any:
        return run_slash_command(world, bot.url + "/slash/sessions", token, "sysadmin", "list", team_name=team)

    refused = run_registered_command(world, "sysadmin", "list", team_name="beta")  # beta's command, beta's token
    assert refused.status == 401 and "returned response 401" in refused.error and world.exchanges == []
    assert run_registered_command(world, "sysadmin", "list", team_name="acme").visible_text.startswith("#### Your sessions")
    assert typed(both, BETA_TOKEN, "beta").visible_text.startswith("#### Your sessions")
    # A token is not tied to the team it was made for: the bot has no way to tell (Mattermost signs nothing).
    assert typed(only_acme, ACME_TOKEN, "beta").visible_text.startswith("#### Your sessions")
    assert typed(only_acme, COMMAND_TOKEN, "acme").status == 401  # the default test token is not listed here


# --- (b) buttons: only what the bot signed, for whom it signed it, while it is fresh ----------------

@pytest.fixture
def actions_url(button_bot: BackgroundServer) -> str:
    return actions_url_of(button_bot.url)


@pytest.fixture
def typed(world: World, button_bot: BackgroundServer) -> Callable[[str, str], Any]:
    def run(username: str, text: str) -> Any:
        return run_slash_command(world, button_bot.url + "/slash/sessions", COMMAND_TOKEN, username, text)

    return run


def context_of(world: World, post_id: str, button: str, viewer: str) -> dict[str, Any]:
    """The context Mattermost keeps for a button on ``viewer``'s ephemeral post (clients never see it)."""
    return world.click_target(post_id, uid(world, viewer), button).action["integration"]["context"]


def signed(viewer_id: str, command: Any, *, secret: str = BOT_SECRET, age_s: float = 0) -> dict[str, str]:
    return {"signed": ButtonSigner(secret, clock=lambda: time.time() - age_s).sign(viewer_id, command)}


ALICE_AND_BOB = RevokeMany((UserRef("username", "alice", "@alice"), UserRef("username", "bob", "@bob")), (), True)


def test_a_revoke_many_context_replayed_by_someone_else_is_refused(typed, world, actions_url):
    post_id = typed("usermanager", "revoke-all @alice @bob").post_id
    context = context_of(world, post_id, "Sign out 2 users", "usermanager")
    before, calls = everyones_sessions(world), len(world.exchanges)
    for clicker in ("sysadmin", "alice", "bob"):  # sysadmin could do this himself: still not with usermanager's button
        assert send_action(world, actions_url, clicker, context).ephemeral_text == FOREIGN
    assert everyones_sessions(world) == before
    assert world.exchanges[calls:] == []  # refused without a word to Mattermost


def test_a_context_is_refused_once_its_15_minutes_are_over_or_when_it_claims_a_future_time(button_bot, world, actions_url):
    usermanager = uid(world, "usermanager")
    before = everyones_sessions(world)
    for age_s in (15 * 60 + 2, 24 * 3600, -60, -3600):
        result = send_action(world, actions_url, "usermanager", signed(usermanager, ALICE_AND_BOB, age_s=age_s))
        assert result.ephemeral_text == EXPIRED, age_s
    assert everyones_sessions(world) == before
    fresh = send_action(world, actions_url, "usermanager", signed(usermanager, ALICE_AND_BOB, age_s=14 * 60))
    assert fresh.ephemeral_text.startswith("✅ Signed 2 users out of")


def _flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:]


def test_altered_spliced_or_cross_secret_contexts_are_forgeries(button_bot, world, actions_url):
    alice, bob = uid(world, "alice"), uid(world, "bob")
    mine = signed(alice, Cancel())["signed"]
    my_payload, my_time, my_signature = mine.rsplit(".", 2)  # a compressed payload itself starts with "."
    payload, timestamp, _signature = signed(bob, RevokeAll(None, True))["signed"].rsplit(".", 2)
    forgeries = {
        "payload changed": ".".join((_flip(my_payload, len(my_payload) // 2), my_time, my_signature)),
        "signature changed": _flip(mine, len(mine) - 3),
        "timestamp changed": ".".join((my_payload, _flip(my_time, 1), my_signature)),
        "bob's command under alice's timestamp and signature": ".".join((payload, my_time, my_signature)),
        "bob's command and time under alice's signature": ".".join((payload, timestamp, my_signature)),
        "another secret": signed(alice, RevokeAll(None, True), secret=OTHER_SECRET)["signed"],
        "the same secret, another salt": URLSafeTimedSerializer(BOT_SECRET).dumps(
            {"for": alice, "run": {"do": "revoke-all", "yes": True, "target": None}}),
        "the same secret and salt, no timestamp": Serializer(BOT_SECRET, salt="sessions-bot/button/v1").dumps(
            {"for": alice, "run": {"do": "revoke-all", "yes": True, "target": None}}),
        "unsigned JSON": '{"for": "%s", "run": {"do": "revoke-all", "yes": true, "target": null}}' % alice,
    }
    before = everyones_sessions(world)
    for name, value in forgeries.items():
        assert send_action(world, actions_url, "alice", {"signed": value}).ephemeral_text == FORGED, name
    assert everyones_sessions(world) == before and world.exchanges == []


def test_fields_beside_the_signed_value_are_ignored(button_bot, world, actions_url):
    context = signed(uid(world, "alice"), Cancel()) | {"do": "revoke-all", "yes": True, "for": uid(world, "alice"),
                                                        "run": {"do": "revoke-all", "yes": True}}
    assert send_action(world, actions_url, "alice", context).ephemeral_text == "Cancelled: nothing was signed out."
    assert len(session_ids(world, "alice")) == 4


def test_a_context_moved_to_another_post_channel_or_label_still_runs_only_what_it_was_signed_with(typed, world, actions_url):
    """Mattermost lets anyone post buttons with any context (§2.3): moving one changes nothing it does."""
    post_id = typed("bob", "revoke-all").post_id
    cancel = context_of(world, post_id, "Cancel", "bob")
    crafted = world.create_post(uid(world, "bob"), world.channel_by_name("off-topic")["id"], "click me", props={
        "attachments": [{"actions": [{"id": "everywhere", "name": "Sign out everywhere", "type": "button",
                                      "integration": {"url": actions_url, "context": cancel}}]}]})
    result = click_button(world, crafted["id"], "Sign out everywhere", "bob")
    assert result.ephemeral_text == "Cancelled: nothing was signed out." and len(session_ids(world, "bob")) == 2
    # The same crafted post clicked by alice: the context is bob's, so it is refused for her.
    assert click_button(world, crafted["id"], "Sign out everywhere", "alice").ephemeral_text == FOREIGN


def test_a_context_is_a_bearer_credential_for_its_viewer_for_15_minutes(typed, world, actions_url):
    """Documenting the limit of unsigned clicks: the bot cannot tell Mattermost's request from anyone else's.
    Whoever holds a context (Mattermost never shows it to clients) and claims its viewer's id runs it as that
    viewer, with that viewer's permissions as they are now."""
    post_id = typed("alice", "list").post_id
    sign_out = buttons_of(world.ephemeral_post(post_id))[0]
    context = context_of(world, post_id, sign_out["id"], "alice")
    before = session_ids(world, "alice")
    response = world.network.session().post(actions_url, json={"user_id": uid(world, "alice"), "context": context},
                                            timeout=10)
    assert response.status_code == 200 and len(session_ids(world, "alice")) == len(before) - 1


def test_a_replay_after_the_caller_lost_the_permission_is_refused_at_click_time(typed, world):
    post_id = typed("usermanager", "revoke-all @alice @bob").post_id
    world.set_roles("usermanager", "system_user")
    result = click_button(world, post_id, "Sign out 2 users", "usermanager")
    assert "edit_other_users" in result.ephemeral_text
    assert len(session_ids(world, "alice")) == 4 and len(session_ids(world, "bob")) == 2


def test_a_replay_after_the_target_became_a_system_admin_is_refused_at_click_time(typed, world):
    post_id = typed("usermanager", "revoke-all @alice").post_id
    world.set_roles("alice", "system_user system_admin")
    result = click_button(world, post_id, "Sign out everywhere", "usermanager")
    assert "system admin" in result.ephemeral_text.lower() and len(session_ids(world, "alice")) == 4


def test_a_role_definition_edit_reaches_clicks_only_when_the_role_cache_expires(typed, world):
    """Documenting the README's 60 s: an edited *role* (not a user's roles, which are read on every click) is
    seen by the bot within a minute, so a click in that minute still goes through."""
    post_id = typed("usermanager", "revoke-all @sysmanager").post_id
    world.revoke_permission("system_user_manager", "edit_other_users")
    result = click_button(world, post_id, "Sign out everywhere", "usermanager")
    assert result.ephemeral_text.startswith("✅ Signed @sysmanager out of 1 session")


def test_clicking_the_same_sign_out_twice_is_harmless_and_says_so(typed, world):
    post_id = typed("alice", "list").post_id
    first = buttons_of(world.ephemeral_post(post_id))[0]["id"]
    assert click_button(world, post_id, first, "alice").error is None
    again = click_button(world, post_id, first, "alice")
    assert "No session of yours" in again.ephemeral_text
    assert len(session_ids(world, "alice")) == 3 and len(world.calls("POST", r"/sessions/revoke$")) == 1


def test_confirming_revoke_all_twice_reports_nothing_left(typed, world):
    post_id = typed("bob", "revoke-all").post_id
    assert click_button(world, post_id, "Sign out everywhere", "bob").ephemeral_text.startswith("✅ Signed you out of 2")
    again = click_button(world, post_id, "Sign out everywhere", "bob")
    assert again.ephemeral_text == "You have no active sessions: nothing to sign out."
    assert len(world.calls("POST", r"/sessions/revoke/all$")) == 1


def test_confirming_a_revoke_many_twice_reports_nothing_left(typed, world):
    post_id = typed("usermanager", "revoke-all @alice @bob").post_id
    assert click_button(world, post_id, "Sign out 2 users", "usermanager").ephemeral_text.startswith("✅ Signed 2 users out of 6")
    assert click_button(world, post_id, "Sign out 2 users", "usermanager").ephemeral_text == "Nothing to sign out."


def test_a_forged_click_reaches_the_audit_log_but_never_mattermost_or_its_audit_channel(world, make_bot, caplog):
    """Regression: a refused click was also posted to the audit channel, so any HTTP client could make the bot
    write there, naming any user: ``{"user_id": <sysadmin>, "user_name": "sysadmin", "context": {"signed": "x"}}``
    gave the line "🔐 @sysadmin · button · @sysadmin · refused (ForgedButton)"."""
    caplog.set_level(logging.INFO, logger="bot.audit")
    channel = world.add_channel("security-audit", members=["sessionsbot", "sysadmin"])
    bot = make_bot(audit_channel_id=channel["id"])
    sysadmin = uid(world, "sysadmin")
    for context in ({"signed": "x"}, signed(uid(world, "alice"), RevokeAll(None, True)),
                    signed(sysadmin, RevokeAll(None, True), age_s=3600)):
        response = bot.http.post(actions_url_of(bot.url), json={"user_id": sysadmin, "user_name": "sysadmin",
                                                             "context": context}, timeout=10)
        assert response.status_code == 200 and response.json()["ephemeral_text"] in (FORGED, FOREIGN, EXPIRED)
    assert world.exchanges == [] and world.posts_in(channel["id"]) == []
    assert [(r["action"], r["result"], r["reason"]) for r in audit_records(caplog)] == [
        ("button", "refused", "ForgedButton"), ("button", "refused", "ForeignButton"), ("button", "refused", "ExpiredButton")]
    # A click the bot signed, refused by permission, is a real user's action: the channel hears of it.
    bob_click = send_action(world, actions_url_of(bot.url), "bob", signed(uid(world, "bob"), RevokeAll(
        UserRef("username", "alice", "@alice"), True)))
    assert "edit_other_users" in bob_click.ephemeral_text
    [line] = world.posts_in(channel["id"])
    assert line["message"].startswith("🔐 `@bob` · revoke-all · ") and "**refused** (needs edit other users)" in line["message"]


def test_every_button_session_id_is_matched_against_the_targets_own_sessions(button_bot, world, actions_url):
    """A signed ``revoke`` names a session; the bot still revokes only a session of the target it lists."""
    bob_session = sorted(session_ids(world, "bob"))[0]
    alice = uid(world, "alice")
    result = send_action(world, actions_url, "alice", signed(alice, RevokeSession(bob_session, None)))
    assert "No session of yours" in result.ephemeral_text and bob_session in session_ids(world, "bob")


# --- (c) response_url: the bot never calls the host a form names -----------------------------------

BUDGET_S = 0.05
LATENCY_S = 0.1  # every call to the stand-in, really waited: a list outlasts the budget and is deferred


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[str]]]:
    """Another web server, recording every request it gets (it must get none)."""
    app = Flask("elsewhere")
    hits: list[str] = []

    @app.route("/", defaults={"anything": ""}, methods=["GET", "POST", "PUT"])
    @app.route("/<path:anything>", methods=["GET", "POST", "PUT"])
    def record(anything: str) -> Response:
        hits.append(f"{request.method} {request.full_path}")
        return Response(b"ok", content_type="text/plain")

    with BackgroundServer(app) as server:
        yield server.url, hits


#: name: (response_url, whether it is shaped like Mattermost's, so that its hook id is used)
RESPONSE_URLS = {
    "the host replaced": ("{other}/hooks/commands/{hook}", True),
    "the host replaced, under a sub-path": ("{other}/chat/hooks/commands/{hook}", True),
    "Mattermost's host as user info": ("http://{mm_host}@{other_host}/hooks/commands/{hook}", True),
    "a backslash before the user info": ("http://{other_host}\\@{mm_host}/hooks/commands/{hook}", True),
    "scheme-relative": ("//{other_host}/hooks/commands/{hook}", True),
    "a query naming Mattermost": ("{other}/hooks/commands/{hook}?next={mm}/hooks/commands/{hook}", True),
    "https on the other host": ("https://{other_host}/hooks/commands/{hook}", True),
    "an IPv6 literal": ("http://[::1]:{other_port}/hooks/commands/{hook}", True),
    "not a hook path": ("{other}/api/v4/posts", False),
    "a traversal after the hook": ("{other}/hooks/commands/{hook}/../../../api/v4/users/me", False),
    "a hook path with an encoded slash": ("{other}/hooks/commands%2F{hook}", False),
}


@pytest.mark.real_time  # the bot's own clock must run out for it to use response_url at all
@pytest.mark.parametrize("case", RESPONSE_URLS)
def test_a_late_reply_goes_to_mattermost_url_whatever_host_response_url_names(world, mattermost, make_bot, elsewhere, case):
    other, hits = elsewhere
    bot = make_bot(reply_budget_s=BUDGET_S)
    alice = uid(world, "alice")
    hook = world.create_command_webhook(alice, world.channel_by_name("town-square")["id"])["id"]
    template, hook_shaped = RESPONSE_URLS[case]
    response_url = template.format(other=other, other_host=urlsplit(other).netloc,
                                              other_port=urlsplit(other).port, mm=mattermost.url,
                                              mm_host=urlsplit(mattermost.url).netloc, hook=hook)
    world.latency_s = LATENCY_S
    result = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "alice", "list",
                               extra_fields={"response_url": response_url})
    if hook_shaped:
        assert result.visible_text == STILL_WORKING
        late = eventually(lambda: [p for p in world.ephemeral_posts_for(alice) if p["message"].startswith("#### Your")],
                          "the late reply")
        assert late and [c.path for c in world.calls("POST", r"^/hooks/commands/")] == [f"/hooks/commands/{hook}"]
    else:  # not shaped like Mattermost's response_url: the bot waits and answers the request itself
        assert result.visible_text.startswith("#### Your sessions") and world.calls(path_regex=r"^/hooks/") == []
    time.sleep(0.1)
    assert hits == []
