"""The button endpoint only Mattermost can reach, end to end: the secret path in the buttons the bot posts,
everything else a 404 that leaves no trace, old buttons failing closed with a message the clicker sees,
fields no longer than Mattermost sends, the clicker named as Mattermost knows them, and a bulk confirmation
clicked in a direct message."""
from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.core.commands import RevokeAll, RevokeSession, UserRef
from bot.core.errors import RetiredButton, UnknownClicker
from bot.replies.errors import error_message
from bot.sandbox import buttons_of, click_button, run_slash_command, send_action
from bot.web import limits
from bot.web.buttons import ButtonSigner
from bot.web.gate import action_key
from tests.support.lookups import audit_records, live, session_ids, uid
from tests.support.settings import BOT_SECRET, COMMAND_TOKEN, actions_url
from tests.support.stack import bot_app

OUT_OF_DATE = error_message(RetiredButton())
ROTATED_SECRET = "a-brand-new-bot-secret-after-the-rotation-0123"


@pytest.fixture
def audit_channel(world) -> dict[str, Any]:
    return world.add_channel("security-audit", members=["sessionsbot", "sysadmin"])


@pytest.fixture
def bot(make_bot, audit_channel):
    """A bot with buttons and an audit channel (every audited line also goes there)."""
    return make_bot(audit_channel_id=audit_channel["id"])


def typed(world, bot, username: str, text: str, **options: Any):
    return run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, username, text, **options)


def integration_of(world, post_id: str, viewer: str, button: str) -> dict[str, Any]:
    """What Mattermost keeps of a button on ``viewer``'s ephemeral post (clients never see it)."""
    return world.click_target(post_id, uid(world, viewer), button).action["integration"]


def signed(viewer_id: str, command: Any, secret: str = BOT_SECRET, team_id: str = "") -> dict[str, str]:
    return {"signed": ButtonSigner(secret).sign(viewer_id, command, team_id)}


def bot_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every record any logger of the bot (or of Flask, Werkzeug, urllib3) wrote."""
    return [r for r in caplog.records if not r.name.startswith("tests")]


# --- the secret path ------------------------------------------------------------------------------

def test_the_buttons_of_a_reply_point_at_a_secret_path_under_actions_and_clicking_one_works(world, bot):
    post_id = typed(world, bot, "alice", "list").post_id
    url = integration_of(world, post_id, "alice", "Sign out everywhere")["url"]
    path = urlsplit(url).path
    assert url.startswith(bot.url) and re.fullmatch(r"/actions/[0-9a-f]{32}", path), url
    assert path == "/actions/" + action_key(BOT_SECRET) and action_key(BOT_SECRET) not in BOT_SECRET
    first = buttons_of(world.ephemeral_post(post_id))[0]["id"]
    before = live(world, "alice")
    assert click_button(world, post_id, first, "alice").error is None
    assert live(world, "alice") == before - 1


def test_the_metrics_name_the_button_route_without_its_key(world, bot):
    post_id = typed(world, bot, "alice", "list").post_id
    assert click_button(world, post_id, "Sign out everywhere", "alice").error is None  # asks to confirm
    exposition = bot.http.get(bot.url + "/metrics", timeout=10).text
    assert 'route="/actions/<key>"' in exposition and action_key(BOT_SECRET) not in exposition


NOT_THE_ACTION_PATH = [
    ("POST", "/actions/", "json"), ("POST", "/actions/x", "json"), ("POST", "{key_path}/", "json"),
    ("POST", "{key_path}x", "json"), ("POST", "{key_path_upper}", "json"), ("POST", "/Actions", "json"),
    ("POST", "/actions/" + "0" * 31, "json"), ("POST", "/wp-login.php", "form"), ("GET", "/actions", None),
    ("POST", "/actions", "form"), ("PUT", "/actions/" + "0" * 32, "json"), ("GET", "/", None),
]


@pytest.mark.parametrize(("method", "path", "body"), NOT_THE_ACTION_PATH)
def test_a_request_to_any_other_path_is_a_404_before_anything_is_logged_audited_or_asked(
        world, bot, audit_channel, caplog, method, path, body):
    caplog.set_level(logging.DEBUG)
    key_path = "/actions/" + action_key(BOT_SECRET)
    path = path.format(key_path=key_path, key_path_upper=key_path.upper())
    click = {"user_id": uid(world, "sysadmin"), "user_name": "x" * 30_000,
             "context": signed(uid(world, "sysadmin"), RevokeAll(None, True))}
    kwargs: dict[str, Any] = {"json": click} if body == "json" else {"data": {"user_id": "x"}} if body else {}
    response = bot.http.request(method, bot.url + path, timeout=10, **kwargs)
    assert (response.status_code, response.text) == (404, "404 Not Found\n")
    assert "X-Request-Id" not in response.headers  # Flask never ran
    assert bot_records(caplog) == [] and world.exchanges == [] and world.posts_in(audit_channel["id"]) == []
    assert live(world, "sysadmin") > 0


# --- old buttons ---------------------------------------------------------------------------------

def test_after_bot_secret_is_rotated_an_old_button_fails_closed_with_a_clear_message(
        world, mattermost, mode, bot_waits, bot, audit_channel, caplog):
    post_id = typed(world, bot, "bob", "revoke-all").post_id
    before = session_ids(world, "bob")
    # The same bot, at the same address, restarted with a new BOT_SECRET: its buttons' path moved with it.
    world.network.serve(bot.url, bot_app(world, mattermost.url, mode, bot_waits, bot_public_url=bot.url,
                                         bot_secret=ROTATED_SECRET, audit_channel_id=audit_channel["id"]))
    caplog.set_level(logging.DEBUG)
    exchanges = len(world.exchanges)
    click = click_button(world, post_id, "Sign out everywhere", "bob")
    assert click.status == 200 and click.ephemeral_text == OUT_OF_DATE
    assert "out of date" in OUT_OF_DATE and "/sessions" in OUT_OF_DATE
    assert session_ids(world, "bob") == before
    assert bot_records(caplog) == [] and world.exchanges[exchanges:] == []
    fresh = typed(world, bot, "bob", "revoke-all").post_id  # a button made now works
    assert urlsplit(integration_of(world, fresh, "bob", "Sign out everywhere")["url"]).path == (
        "/actions/" + action_key(ROTATED_SECRET))
    assert click_button(world, fresh, "Sign out everywhere", "bob").ephemeral_text.startswith("✅ Signed you out of")


def test_a_button_from_before_the_path_had_a_secret_fails_closed_with_the_same_message(world, bot, caplog):
    """Buttons made before this change point at plain ``/actions``: even with a context the bot really signed,
    they do nothing now and say why."""
    caplog.set_level(logging.DEBUG)
    context = signed(uid(world, "bob"), RevokeAll(None, True))
    click = send_action(world, bot.url + "/actions", "bob", context)
    assert (click.status, click.ephemeral_text) == (200, OUT_OF_DATE)
    assert live(world, "bob") > 0 and bot_records(caplog) == [] and world.exchanges == []


# --- field lengths --------------------------------------------------------------------------------

@pytest.mark.parametrize(("size", "status", "named"), [(30_000, 413, "the body"), (65, 400, "user_name")])
def test_an_over_long_user_name_is_refused_and_logged_only_as_one_short_line(
        world, bot, audit_channel, caplog, size, status, named):
    """30 KB names were accepted and logged twice; Mattermost's usernames are at most 64 characters."""
    caplog.set_level(logging.DEBUG)
    bob = uid(world, "bob")
    response = bot.http.post(actions_url(bot.url), json={"user_id": bob, "user_name": "x" * size,
                                                         "context": signed(bob, RevokeAll(None, True))}, timeout=10)
    assert response.status_code == status and response.text.startswith(f"{status} ")
    [line] = [r.getMessage() for r in bot_records(caplog)]
    assert named in line and len(line) < 200 and "xxx" not in line
    assert audit_records(caplog) == [] and world.exchanges == [] and world.posts_in(audit_channel["id"]) == []
    assert live(world, "bob") > 0


def click_body(world, **fields: Any) -> dict[str, Any]:
    """A click as Mattermost sends it (every field at its longest real length), with ``fields`` replaced."""
    bob = uid(world, "bob")
    town = world.channel_by_name("town-square")
    body = {"user_id": bob, "user_name": "b" * 64, "channel_id": town["id"], "channel_name": "c" * 64,
            "team_id": world.team["id"], "team_domain": "t" * 64, "post_id": world.new_id(), "trigger_id": "t" * 220,
            "type": "button", "data_source": "", "context": {"signed": ButtonSigner(BOT_SECRET).sign(bob, RevokeSession("nosuchsession", None))}}
    body.update(fields)
    return body


OVER_LONG = [("user_id", "u" * 27), ("user_name", "n" * 65), ("channel_id", "c" * 27), ("team_id", "t" * 27),
             ("post_id", "p" * 27), ("trigger_id", "t" * 513), ("channel_name", "c" * 65), ("team_domain", "d" * 65),
             ("type", "b" * 17), ("context", {"signed": "s" * (limits.SIGNED + 1)}), ("context", ["a list"]),
             ("user_name", ["n"]), ("team_id", 26)]


@pytest.mark.parametrize(("field", "value"), OVER_LONG, ids=lambda v: v if isinstance(v, str) and len(v) < 20 else "")
def test_a_field_longer_than_mattermost_sends_is_a_400(world, bot, caplog, field, value):
    caplog.set_level(logging.DEBUG)
    assert bot.http.post(actions_url(bot.url), json=click_body(world), timeout=10).status_code == 200  # as sent
    caplog.clear()
    response = bot.http.post(actions_url(bot.url), json=click_body(world, **{field: value}), timeout=10)
    assert response.status_code == 400
    assert all(len(r.getMessage()) < 200 for r in bot_records(caplog)) and audit_records(caplog) == []


def test_a_click_body_over_the_longest_click_is_a_413_and_never_parsed(world, bot, caplog):
    caplog.set_level(logging.DEBUG)
    body = json.dumps(click_body(world, padding="x" * limits.CLICK_BYTES))
    response = bot.http.post(actions_url(bot.url), data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413 and audit_records(caplog) == [] and world.exchanges == []
    assert [r.levelname for r in bot_records(caplog)] == ["WARNING"]


# --- who clicked ------------------------------------------------------------------------------------

def test_a_click_is_audited_with_the_username_mattermost_returns_not_the_one_the_request_claims(
        world, bot, audit_channel, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    usermanager, alice = uid(world, "usermanager"), uid(world, "alice")
    session = sorted(session_ids(world, "alice"))[0]
    context = signed(usermanager, RevokeSession(session, UserRef("id", alice, "@alice")))
    response = bot.http.post(actions_url(bot.url), timeout=10, json={
        "user_id": usermanager, "user_name": "sysadmin", "channel_id": world.channel_by_name("town-square")["id"],
        "team_id": world.team["id"], "context": context})
    assert response.status_code == 200 and session not in session_ids(world, "alice")
    assert world.ephemeral_posts_for(usermanager)[-1]["message"].startswith("✅ Signed @alice out of")
    [record] = audit_records(caplog)
    assert (record["actor_id"], record["actor_username"], record["result"]) == (usermanager, "usermanager", "ok")
    [line] = world.posts_in(audit_channel["id"])
    assert "@usermanager" in line["message"] and "sysadmin" not in line["message"]
    dm = world.direct_channel_between(world.bot_user_id, alice)
    told = " ".join(p["message"] for p in world.posts_in(dm["id"]))
    assert "usermanager" in told and "sysadmin" not in told
    # One look at the clicker serves the audit and the command's own permission check.
    assert len(world.calls("GET", rf"/api/v4/users/{usermanager}$")) == 1


def test_a_click_from_a_user_mattermost_does_not_know_gets_a_short_answer_and_no_audit_line(
        world, bot, audit_channel, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    ghost = world.new_id()
    response = bot.http.post(actions_url(bot.url), timeout=10, json={
        "user_id": ghost, "user_name": "sysadmin", "context": signed(ghost, RevokeAll(None, True))})
    assert response.status_code == 200 and response.json() == {"ephemeral_text": error_message(UnknownClicker())}
    assert audit_records(caplog) == [] and world.posts_in(audit_channel["id"]) == []
    assert [(e.method, e.path) for e in world.exchanges] == [("GET", f"/api/v4/users/{ghost}")]


# --- a bulk confirmation clicked in a direct message ------------------------------------------------

def test_a_bulk_confirmation_typed_and_clicked_in_a_direct_message_signs_the_users_out(world, bot):
    """Mattermost sends ``team_id ""`` for a click in a direct or group message (the channel's team), so the
    ``~incident`` of the confirmation can only be found again in the team the command was typed in, which the
    button carries. (Before, the click found no such channel and signed no one out.)"""
    world.add_channel("incident", members=("alice", "bob", "usermanager"))
    dm = world.get_or_create_direct_channel(uid(world, "usermanager"), uid(world, "alice"))
    assert dm["team_id"] == ""
    preview = typed(world, bot, "usermanager", "revoke-all ~incident @bob", channel_name=dm["name"])
    assert preview.visible_text.startswith("**This will sign 2 users out of")
    click = click_button(world, preview.post_id, "Sign out 2 users", "usermanager")
    assert click.error is None and click.ephemeral_text.startswith("✅ Signed 2 users out of"), click
    assert live(world, "alice") == 0 and live(world, "bob") == 0 and live(world, "usermanager") > 0
