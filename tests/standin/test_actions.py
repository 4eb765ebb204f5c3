"""Specification of the stand-in's channels, posts, ephemeral replies and message buttons, over real HTTP.

Each rule is Mattermost's (MATTERMOST.md §1.4, §2.1–§2.3, §5, §6, and the server source named in
``bot/sandbox/messaging.py``, ``api_messaging.py`` and ``actions.py``).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Response, jsonify

from bot.sandbox import (
    ActionResult,
    World,
    buttons_of,
    click_button,
    run_slash_command,
    send_action,
)
from bot.sandbox.ids import is_valid_id
from tests.support.contract import assert_exchanges_match_contract
from tests.support.lookups import uid
from tests.support.standin import UNKNOWN_ID, as_user, assert_app_error

Integration = tuple[str, list[dict[str, Any]], Callable[[Callable[[], Any]], None]]
TOKEN = "t" * 26


# -- helpers -------------------------------------------------------------------------------

def actions(url: str) -> list[dict[str, Any]]:
    """Two buttons whose integration is ``url``: one without an id, one with its own."""
    return [{"type": "button", "name": "Revoke", "style": "danger",
             "integration": {"url": url, "context": {"session": "s1", "sig": "abc"}}},
            {"id": "cancel", "type": "button", "name": "Cancel",
             "integration": {"url": url, "context": {"action": "cancel"}}}]


def ask(world: World, bot: Integration, username: str = "alice", **reply: Any) -> str:
    """Run the slash command, the bot answering ``reply`` (default: an ephemeral with two buttons)."""
    command_url, _, set_handler = bot
    body = reply or {"response_type": "ephemeral", "text": "Sign out?",
                     "attachments": [{"text": "Chrome on Windows", "actions": actions(command_url)}]}
    set_handler(lambda: jsonify(body))
    result = run_slash_command(world, command_url, TOKEN, username, "list")
    assert result.error is None and result.post_id is not None
    return result.post_id


def answer_clicks_with(bot: Integration, make: Callable[[], Any]) -> None:
    bot[2](make)


def action_calls(bot: Integration) -> list[dict[str, Any]]:
    return [call for call in bot[1] if call["headers"].get("Content-Type") == "application/json"]


# -- direct channels (§6) ------------------------------------------------------------------

def test_a_direct_channel_is_created_once_and_answered_with_201_every_time(world: World, url: str) -> None:
    alice, bob = uid(world, "alice"), uid(world, "bob")
    first = as_user(world, url, "alice").post("/channels/direct", [alice, bob])
    assert first.status_code == 201 and first.headers["Content-Type"] == "application/json"
    channel = first.json()
    assert channel["type"] == "D" and channel["team_id"] == "" and channel["display_name"] == ""
    assert channel["name"] == "__".join(sorted((alice, bob))) and channel["creator_id"] == alice
    assert is_valid_id(channel["id"]) and world.direct_channel_between(bob, alice) == channel
    assert world.channel_members(channel["id"]) == [alice, bob]
    again = as_user(world, url, "bob").post("/channels/direct", [bob, alice])
    assert again.status_code == 201 and again.json() == channel  # existing channel, still 201


def test_naming_yourself_once_opens_your_self_dm(world: World, url: str) -> None:
    alice = uid(world, "alice")
    channel = as_user(world, url, "alice").post("/channels/direct", [alice]).json()
    assert channel["name"] == f"{alice}__{alice}" and world.channel_members(channel["id"]) == [alice]


@pytest.mark.parametrize(("caller", "users", "status", "error_id"), [
    ("alice", ["bob", "sysadmin"], 403, "api.context.permissions.app_error"),  # not one of the two
    ("alice", ["alice", None], 400, "api.channel.create_direct_channel.invalid_user.app_error"),
    ("guest", ["guest", None], 403, "api.context.permissions.app_error"),  # cannot see an unknown user
    ("alice", ["alice", "bob", "sysadmin"], 400, "api.context.invalid_body_param.app_error"),
    ("alice", ["bob", "bob"], 400, "api.context.invalid_body_param.app_error"),  # duplicates collapse
])
def test_direct_channel_refusals(world: World, url: str, caller: str, users: list[str | None], status: int,
                                 error_id: str) -> None:
    ids = [uid(world, name) if name else UNKNOWN_ID for name in users]
    assert_app_error(as_user(world, url, caller).post("/channels/direct", ids), status, error_id)
    assert not any(world.direct_channel_between(a, b) for a in ids for b in ids)


def test_direct_channel_body_must_be_an_array_of_ids(world: World, url: str) -> None:
    api = as_user(world, url, "alice")
    assert_app_error(api.post("/channels/direct", {"a": 1}), 400, "api.payload.parse.error")
    assert_app_error(api.post("/channels/direct", [uid(world, "alice"), 7]), 400, "api.payload.parse.error")
    assert_app_error(api.post("/channels/direct", [uid(world, "alice"), "short"]), 400,
                     "api.context.invalid_body_param.app_error")


def test_manage_system_may_open_a_dm_between_others_and_create_direct_channel_is_required(
        world: World, url: str) -> None:
    alice, bob = uid(world, "alice"), uid(world, "bob")
    assert as_user(world, url, "sysadmin").post("/channels/direct", [alice, bob]).status_code == 201
    world.revoke_permission("system_user", "create_direct_channel")
    refused = as_user(world, url, "bob").post("/channels/direct", [bob, uid(world, "guest")])
    assert_app_error(refused, 403, "api.context.permissions.app_error")


# -- posts (§2.3, §5) ----------------------------------------------------------------------

def test_a_member_posts_and_the_post_is_stored(world: World, url: str) -> None:
    town = world.channel_by_name("town-square")
    response = as_user(world, url, "alice").post("/posts", {"channel_id": town["id"], "message": "hello #team",
                                                           "pending_post_id": "p1"})
    assert response.status_code == 201 and response.headers["Content-Type"] == "application/json"
    post = response.json()
    assert post["user_id"] == uid(world, "alice") and post["channel_id"] == town["id"]
    assert post["message"] == "hello #team" and post["hashtags"] == "#team" and post["type"] == ""
    assert post["pending_post_id"] == "p1" and post["create_at"] == post["update_at"] > 0
    [stored] = world.posts_in(town["id"])
    assert stored["id"] == post["id"] and world.channel_by_id(town["id"])["last_post_at"] == post["create_at"]


def test_posting_needs_create_post_in_the_channel(world: World, url: str) -> None:
    secret = world.add_channel("secret", members=["bob"], type="P")
    body = {"channel_id": secret["id"], "message": "let me in"}
    assert_app_error(as_user(world, url, "alice").post("/posts", body), 403, "api.context.permissions.app_error")
    assert as_user(world, url, "bob").post("/posts", body).status_code == 201  # channel_user grants it
    assert as_user(world, url, "sysadmin").post("/posts", body).status_code == 201  # system_admin, system-wide
    assert_app_error(as_user(world, url, "alice").post("/posts", {"channel_id": UNKNOWN_ID, "message": "x"}),
                     403, "api.context.permissions.app_error")
    assert [p["user_id"] for p in world.posts_in(secret["id"])] == [uid(world, "bob"), uid(world, "sysadmin")]


def test_the_bot_opens_a_dm_and_posts_there(world: World, url: str) -> None:
    bot = as_user(world, url, "sessionsbot")
    channel = bot.post("/channels/direct", [world.bot_user_id, uid(world, "alice")]).json()
    post = bot.post("/posts", {"channel_id": channel["id"], "message": "You were signed out."}).json()
    assert post["props"] == {"from_bot": "true"}
    assert_app_error(as_user(world, url, "bob").post("/posts", {"channel_id": channel["id"], "message": "hi"}),
                     403, "api.context.permissions.app_error")


def test_a_message_over_16383_runes_is_refused_not_cut(world: World, url: str) -> None:
    api, town = as_user(world, url, "alice"), world.channel_by_name("town-square")["id"]
    assert api.post("/posts", {"channel_id": town, "message": "é" * 16383}).status_code == 201
    assert_app_error(api.post("/posts", {"channel_id": town, "message": "é" * 16384}), 400,
                     "model.post.is_valid.message_length.app_error")
    assert len(world.posts_in(town)) == 1


def test_replies_need_a_root_post_in_the_same_channel(world: World, url: str) -> None:
    api, town = as_user(world, url, "alice"), world.channel_by_name("town-square")
    root = api.post("/posts", {"channel_id": town["id"], "message": "root"}).json()
    reply = api.post("/posts", {"channel_id": town["id"], "message": "reply", "root_id": root["id"]})
    assert reply.status_code == 201 and reply.json()["root_id"] == root["id"]
    assert_app_error(api.post("/posts", {"channel_id": town["id"], "message": "x", "root_id": UNKNOWN_ID}),
                     400, "api.post.create_post.root_id.app_error")
    off_topic = world.channel_by_name("off-topic")["id"]
    assert_app_error(api.post("/posts", {"channel_id": off_topic, "message": "x", "root_id": root["id"]}),
                     400, "api.post.create_post.channel_root_id.app_error")


def test_post_body_and_type_checks(world: World, url: str) -> None:
    api, town = as_user(world, url, "alice"), world.channel_by_name("town-square")["id"]
    assert_app_error(api.post("/posts", {"channel_id": town, "message": 5}), 400,
                     "api.context.invalid_body_param.app_error")
    assert_app_error(api.post("/posts", {"channel_id": town, "message": "x", "type": "system_join_channel"}),
                     400, "api.context.invalid_param.app_error")


def test_a_crafted_post_keeps_its_integration_on_the_server_only(world: World, url: str) -> None:
    """§2.3: any member may post buttons with any context; clients never see the integration."""
    town = world.channel_by_name("town-square")["id"]
    props = {"attachments": [{"actions": actions("http://bot.example/actions")}]}
    shown = as_user(world, url, "bob").post("/posts", {"channel_id": town, "message": "", "props": props}).json()
    assert [b["name"] for b in buttons_of(shown)] == ["Revoke", "Cancel"]
    assert all(is_valid_id(b["id"]) or b["id"] == "cancel" for b in buttons_of(shown))
    assert "integration" not in json.dumps(shown) and shown["metadata"] == {"embeds": [{"type": "message_attachment"}]}
    [stored] = world.posts_in(town)
    assert stored["props"]["attachments"][0]["actions"][0]["integration"]["context"] == {"session": "s1", "sig": "abc"}


def test_channel_and_post_answers_follow_the_openapi_description(world: World, url: str) -> None:
    alice, bob = uid(world, "alice"), uid(world, "bob")
    api = as_user(world, url, "alice")
    dm = api.post("/channels/direct", [alice, bob]).json()
    api.post("/channels/direct", [bob, alice])
    api.post("/channels/direct", [bob, uid(world, "sysadmin")])
    api.post("/posts", {"channel_id": dm["id"], "message": "hi",
                        "props": {"attachments": [{"actions": actions("http://bot.example/a")}]}})
    api.post("/posts", {"channel_id": dm["id"], "message": "é" * 16384})
    api.post("/posts", {"channel_id": UNKNOWN_ID, "message": "x"})
    assert {e.status for e in world.exchanges} == {201, 400, 403}
    assert_exchanges_match_contract(world.exchanges)


def test_faults_and_recording_cover_the_new_endpoints(world: World, url: str) -> None:
    api, town = as_user(world, url, "alice"), world.channel_by_name("town-square")["id"]
    world.faults.add(r"^/api/v4/posts$", method="POST", status=503, times=1)
    assert_app_error(api.post("/posts", {"channel_id": town, "message": "x"}), 503,
                     "api.context.server_busy.app_error")
    assert api.post("/posts", {"channel_id": town, "message": "x"}).status_code == 201
    first, second = world.calls("POST", r"^/api/v4/posts$")
    assert first.notes and first.status == 503 and second.status == 201 and b'"message":"x"' in second.response_body
    assert len(world.posts_in(town)) == 1


# -- ephemeral slash replies (§1.4, §2.1) ----------------------------------------------------

def test_an_ephemeral_reply_is_shown_to_the_invoker_with_action_ids_and_no_integration(
        world: World, integration: Integration) -> None:
    post = world.ephemeral_post(ask(world, integration))
    assert post is not None and is_valid_id(post["id"]) and post["type"] == "system_ephemeral"
    assert post["user_id"] == uid(world, "alice")  # §1.4: posted as the invoker
    assert post["channel_id"] == world.channel_by_name("town-square")["id"] and post["message"] == "Sign out?"
    assert post["props"]["from_webhook"] == "true"
    [attachment] = post["props"]["attachments"]
    assert attachment["text"] == "Chrome on Windows" and attachment["fields"] is None  # Go struct, zero values
    revoke, cancel = attachment["actions"]
    assert is_valid_id(revoke["id"]) and cancel["id"] == "cancel"
    assert "integration" not in revoke and revoke["cookie"] and revoke["style"] == "danger"
    assert buttons_of(post) == [{"id": revoke["id"], "name": "Revoke", "style": "danger"},
                                {"id": "cancel", "name": "Cancel", "style": ""}]
    assert world.posts_in(post["channel_id"]) == []  # ephemeral posts are not stored
    assert world.ephemeral_posts_for(uid(world, "bob")) == []


def test_replies_that_post_nothing_have_no_post_id_and_in_channel_replies_are_stored(
        world: World, integration: Integration) -> None:
    command_url, _, set_handler = integration
    set_handler(lambda: jsonify({}))
    assert run_slash_command(world, command_url, TOKEN, "alice", "").post_id is None
    set_handler(lambda: jsonify({"response_type": "in_channel", "text": "See <https://x.test|docs>"}))
    result = run_slash_command(world, command_url, TOKEN, "alice", "")
    stored = world.post_by_id(result.post_id)
    assert stored["message"] == "See [docs](https://x.test)" and stored["props"] == {"from_webhook": "true"}
    assert result.visible_text == "See <https://x.test|docs>" and not result.ephemeral
    assert world.ephemeral_post(result.post_id) is None


def test_extra_responses_are_posted_too(world: World, integration: Integration) -> None:
    command_url, _, set_handler = integration
    set_handler(lambda: jsonify({"text": "one", "extra_responses": [{"text": "two"}, {"text": ""}]}))
    result = run_slash_command(world, command_url, TOKEN, "alice", "")
    [extra] = result.extra_post_ids
    assert world.ephemeral_post(result.post_id)["message"] == "one"
    assert world.ephemeral_post(extra)["message"] == "two"


def test_a_wrongly_typed_attachment_fails_the_command(world: World, integration: Integration) -> None:
    command_url, _, set_handler = integration
    set_handler(lambda: jsonify({"text": "x", "attachments": [{"actions": [{"name": 5}]}]}))
    result = run_slash_command(world, command_url, TOKEN, "alice", "")
    assert result.error == "Command with a trigger of 'sessions' failed." and result.post_id is None


# -- clicking (§2.2) -----------------------------------------------------------------------

def test_a_click_sends_exactly_the_post_action_integration_request(world: World, integration: Integration) -> None:
    post_id = ask(world, integration)
    answer_clicks_with(integration, lambda: Response("", status=200))
    result = click_button(world, post_id, "Revoke", "alice")
    assert result == ActionResult(200, None, None, None, None, result.elapsed_s)
    [call] = action_calls(integration)
    assert call["method"] == "POST" and call["headers"]["Accept"] == "application/json"
    assert "Authorization" not in call["headers"] and "Cookie" not in call["headers"]
    sent = json.loads(call["body"])
    town = world.channel_by_name("town-square")
    assert list(sent) == ["user_id", "user_name", "channel_id", "channel_name", "team_id", "team_domain", "post_id",
                          "trigger_id", "type", "data_source", "context"]
    assert sent == {"user_id": uid(world, "alice"), "user_name": "alice", "channel_id": town["id"],
                    "channel_name": "town-square", "team_id": world.team["id"], "team_domain": "acme",
                    "post_id": post_id, "trigger_id": sent["trigger_id"], "type": "button", "data_source": "",
                    "context": {"session": "s1", "sig": "abc"}}
    assert len(sent["trigger_id"]) > 26


def test_a_click_in_a_direct_message_sends_an_empty_team_though_the_command_came_with_one(
        world: World, integration: Integration) -> None:
    """``DoPostActionWithCookie`` takes the request's ``TeamId`` from the post's channel, and looks no team up
    for an empty one ("Direct and group channels won't have teams"): ``team_id`` and ``team_domain`` are ``""``
    (MM ``server/channels/app/integration_action.go`` @0029e8da). The command typed there came with the team
    the user was in (``executeCommand``, ``server/channels/api4/command.go`` @01e8aa55)."""
    dm = world.get_or_create_direct_channel(uid(world, "alice"), uid(world, "bob"))
    command_url, seen, set_handler = integration
    set_handler(lambda: jsonify({"response_type": "ephemeral", "text": "Sign out?",
                                 "attachments": [{"text": "x", "actions": actions(command_url)}]}))
    typed = run_slash_command(world, command_url, TOKEN, "alice", "list", channel_name=dm["name"])
    assert typed.error is None and seen[0]["form"]["team_id"] == [world.team["id"]]
    answer_clicks_with(integration, lambda: jsonify({}))
    assert click_button(world, typed.post_id, "Revoke", "alice").error is None
    sent = json.loads(action_calls(integration)[0]["body"])
    assert (sent["channel_id"], sent["channel_name"], sent["team_id"], sent["team_domain"]) == (dm["id"], dm["name"], "", "")


def test_a_button_can_be_clicked_by_id_and_each_sends_its_own_context(world: World, integration: Integration) -> None:
    post_id = ask(world, integration)
    answer_clicks_with(integration, lambda: jsonify({}))
    assert click_button(world, post_id, "cancel", "alice").error is None
    assert json.loads(action_calls(integration)[0]["body"])["context"] == {"action": "cancel"}
    assert click_button(world, post_id, "Nope", "alice").error == f"post {post_id} has no button 'Nope' " \
                                                                  "(as alice's client shows it)"


def test_ephemeral_text_is_shown_to_the_clicker_in_the_posts_thread(world: World, integration: Integration) -> None:
    post_id = ask(world, integration)
    answer_clicks_with(integration, lambda: jsonify({"ephemeral_text": "Signed out <https://x.test|s1>."}))
    result = click_button(world, post_id, "Revoke", "alice")
    assert result.error is None and result.ephemeral_text == "Signed out [s1](https://x.test)."
    note = world.ephemeral_posts_for(uid(world, "alice"))[-1]
    assert note["message"] == result.ephemeral_text and note["root_id"] == post_id
    assert note["user_id"] == uid(world, "alice") and note["props"] == {"from_webhook": "true"}  # retained prop


def test_an_update_cannot_replace_an_ephemeral_post_so_the_click_fails(world: World, integration: Integration) -> None:
    """``DoPostActionWithCookie`` hands ``update`` to ``UpdatePost``, which finds only stored posts."""
    post_id = ask(world, integration)
    before = world.ephemeral_post(post_id)
    answer_clicks_with(integration, lambda: jsonify({"update": {"message": "Done"}, "ephemeral_text": "ok"}))
    result = click_button(world, post_id, "Revoke", "alice")
    assert result.status == 200 and result.response == {"update": {"message": "Done"}, "ephemeral_text": "ok"}
    assert result.error is not None and "404 app.post.get.app_error" in result.error
    assert result.post is None and result.ephemeral_text is None
    assert world.ephemeral_post(post_id) == before and len(world.ephemeral_posts_for(uid(world, "alice"))) == 1


def test_an_update_replaces_a_stored_post_and_its_new_buttons_are_clickable(
        world: World, integration: Integration) -> None:
    command_url, _, _ = integration
    post_id = ask(world, integration, response_type="in_channel", text="Sessions",
                  props={"override_username": "x"}, attachments=[{"actions": actions(command_url)}])
    confirm = [{"name": "Really?", "integration": {"url": command_url, "context": {"step": 2}}}]
    answer_clicks_with(integration, lambda: jsonify({"update": {"message": "Sure?",
                                                                "props": {"attachments": [{"actions": confirm}],
                                                                          "override_username": "forged"}}}))
    result = click_button(world, post_id, "Revoke", "bob")  # any member sees a stored post
    assert result.error is None and result.post is not None
    assert result.post["id"] == post_id and result.post["message"] == "Sure?" and result.post["edit_at"] > 0
    assert result.post["props"]["from_webhook"] == "true" and result.post["props"]["override_username"] == "x"
    [button] = buttons_of(result.post)
    assert is_valid_id(button["id"]) and button["name"] == "Really?"
    assert "integration" not in json.dumps(result.post)
    answer_clicks_with(integration, lambda: jsonify({}))
    assert click_button(world, post_id, "Really?", "bob").error is None
    assert json.loads(action_calls(integration)[-1]["body"])["context"] == {"step": 2}


@pytest.mark.parametrize(("answer", "why"), [
    (lambda: ("no", 500), "the action URL answered 500"),
    (lambda: Response("{oops", content_type="application/json"), "not a PostActionIntegrationResponse"),
    (lambda: jsonify([1]), "not a PostActionIntegrationResponse"),
    (lambda: jsonify({"ephemeral_text": 5}), "not a PostActionIntegrationResponse"),
])
def test_a_failed_answer_fails_the_click(world: World, integration: Integration, answer: Callable[[], Any],
                                         why: str) -> None:
    post_id = ask(world, integration)
    answer_clicks_with(integration, answer)
    result = click_button(world, post_id, "Revoke", "alice")
    assert result.error is not None and why in result.error
    assert "400 api.post.do_action.action_integration.app_error" in result.error and result.ephemeral_text is None


def test_an_unreachable_action_url_fails_the_click_without_raising(world: World) -> None:
    result = send_action(world, "http://127.0.0.1:9/actions", "alice", {"a": 1}, timeout_s=2)
    assert result.status == 0 and "could not be reached" in result.error


def test_only_the_recipient_can_click_an_ephemeral_post(world: World, integration: Integration) -> None:
    post_id = ask(world, integration)
    result = click_button(world, post_id, "Revoke", "bob")
    assert result.status == 0 and result.error == f"post {post_id} not found (as bob's client shows it)"
    assert action_calls(integration) == []


def test_a_user_who_cannot_read_the_channel_cannot_click_its_posts(world: World, url: str) -> None:
    secret = world.add_channel("secret", members=["bob"], type="P")
    props = {"attachments": [{"actions": actions("http://127.0.0.1:9/a")}]}
    post = as_user(world, url, "bob").post("/posts", {"channel_id": secret["id"], "message": "",
                                                      "props": props}).json()
    result = click_button(world, post["id"], "Revoke", "alice")
    assert result.status == 0 and "403 api.context.permissions.app_error" in result.error


def test_send_action_carries_any_context_with_the_real_clicker(world: World, integration: Integration) -> None:
    """§2.3: a crafted button sends the attacker's context, but the server fills in who clicked."""
    command_url, _, set_handler = integration
    set_handler(lambda: jsonify({"ephemeral_text": "nope", "goto_location": "/acme/channels/off-topic"}))
    forged = {"target_user_id": uid(world, "sysadmin"), "n": 1.0, "big": 2**60 + 1}
    result = send_action(world, command_url, "bob", forged, post_id="p" * 26, channel_name="off-topic")
    assert result.error is None and result.ephemeral_text == "nope"
    assert result.goto_location == "/acme/channels/off-topic"
    [call] = action_calls(integration)
    sent = json.loads(call["body"])
    assert sent["user_id"] == uid(world, "bob") and sent["user_name"] == "bob" and sent["post_id"] == "p" * 26
    assert sent["channel_name"] == "off-topic" and sent["type"] == "button"
    assert call["body"].endswith(b'"context":{"big":1152921504606846976,"n":1,"target_user_id":"'
                                 + uid(world, "sysadmin").encode() + b'"}}')  # a Go map: sorted, float64
