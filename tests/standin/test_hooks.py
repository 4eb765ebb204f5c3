"""Specification of the stand-in's command webhooks: the ``response_url`` of a slash command (MATTERMOST.md §1.5).

Every exchange here also passes through the ``mattermost`` fixture's contract check, which leaves
``/hooks/...`` out: the OpenAPI description covers ``/api/v4`` only.

On sockets (``pytest.mark.sockets``): this is the stand-in's own specification, checked on the wire as any
HTTP client sees it, which is what the in-process transport (``bot/sandbox/inprocess.py``) and the bot's socket
tests rely on.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask import Flask, Response, request

from bot.sandbox import SandboxServer, World, run_slash_command
from bot.sandbox.background import BackgroundServer
from bot.sandbox.command_webhooks import COMMAND_WEBHOOK_LIFETIME_MS
from bot.sandbox.ids import is_valid_id
from tests.support.lookups import uid

pytestmark = pytest.mark.sockets

@pytest.fixture
def integration() -> Iterator[tuple[str, list[str]]]:
    """A command URL that answers nothing (an empty 200) and keeps the ``response_url`` of each call."""
    app = Flask("silent_bot")
    response_urls: list[str] = []

    @app.post("/command")
    def command() -> Response:
        response_urls.append(request.form["response_url"])
        return Response(b"", content_type="text/plain")

    with BackgroundServer(app) as server:
        yield server.url + "/command", response_urls


@pytest.fixture
def typed(world: World, mattermost: SandboxServer, integration: tuple[str, list[str]]) -> Callable[..., str]:
    """Type a command as ``username``; returns the ``response_url`` Mattermost gave it."""
    command_url, response_urls = integration

    def run(username: str = "alice", **options: Any) -> str:
        result = run_slash_command(world, command_url, "c" * 26, username, "list", **options)
        assert result.error is None and result.visible_text is None
        return response_urls[-1]

    return run


def reply(response_url: str, body: Any = None, *, text: str | None = None) -> requests.Response:
    """POST to a response_url as an integration does: JSON, or plain ``text``; never a token."""
    if text is not None:
        return requests.post(response_url, data=text.encode(), headers={"Content-Type": "text/plain"}, timeout=5)
    return requests.post(response_url, json=body, timeout=5)


def test_each_command_gets_its_own_hook_under_the_site_url(typed, world, mattermost):
    first, second = typed(), typed()
    assert first != second
    for url in (first, second):
        prefix, hook_id = url.rsplit("/", 1)
        assert prefix == mattermost.url + "/hooks/commands" and is_valid_id(hook_id)


def test_a_json_reply_becomes_an_ephemeral_post_for_the_invoking_user_in_their_channel_and_thread(typed, world):
    alice = uid(world, "alice")
    channel = world.channel_by_name("town-square")
    root = world.create_post(alice, channel["id"], "a thread")
    response_url = typed(extra_fields={"root_id": root["id"]})

    answer = reply(response_url, {"response_type": "ephemeral", "text": "done, later"})

    assert (answer.status_code, answer.headers["Content-Type"], answer.text) == (200, "text/plain", "ok")
    post = world.ephemeral_posts_for(alice)[-1]
    assert post["message"] == "done, later" and post["user_id"] == alice
    assert (post["channel_id"], post["root_id"]) == (channel["id"], root["id"])
    assert post["props"]["from_webhook"] == "true"


def test_a_plain_text_body_is_the_text_of_an_ephemeral_reply(typed, world):
    assert reply(typed(), text="plain *words*").status_code == 200
    assert world.ephemeral_posts_for(uid(world, "alice"))[-1]["message"] == "plain *words*"


def test_an_in_channel_reply_is_a_stored_post_of_the_invoking_user(typed, world):
    reply(typed(), {"response_type": "in_channel", "text": "for everyone"})
    [post] = [p for p in world.posts_in(world.channel_by_name("town-square")["id"]) if p["message"] == "for everyone"]
    assert post["user_id"] == uid(world, "alice")


def test_attachments_with_buttons_arrive_clickable(typed, world):
    button = {"id": "go", "name": "Go", "integration": {"url": "http://127.0.0.1:9/act", "context": {"k": "v"}}}
    reply(typed(), {"text": "pick", "attachments": [{"text": "card", "actions": [button]}]})
    post = world.ephemeral_posts_for(uid(world, "alice"))[-1]
    [action] = post["props"]["attachments"][0]["actions"]
    assert action["name"] == "Go" and action["id"] and "integration" not in action


def test_a_hook_takes_five_replies_and_refuses_the_sixth(typed, world):
    response_url = typed()
    for n in range(5):
        assert reply(response_url, {"text": f"reply {n}"}).status_code == 200
    sixth = reply(response_url, {"text": "one too many"})
    assert (sixth.status_code, sixth.json()["id"]) == (400, "app.command_webhook.try_use.invalid")
    messages = [p["message"] for p in world.ephemeral_posts_for(uid(world, "alice"))]
    assert messages[-5:] == [f"reply {n}" for n in range(5)]


def test_a_hook_lives_thirty_minutes(typed, world):
    response_url = typed()
    world.advance(COMMAND_WEBHOOK_LIFETIME_MS - 1000)
    assert reply(response_url, {"text": "just in time"}).status_code == 200
    world.advance(1000)
    late = reply(response_url, {"text": "too late"})
    assert (late.status_code, late.json()["id"]) == (404, "app.command_webhook.get.missing")


def test_an_unknown_hook_is_missing(mattermost):
    answer = reply(mattermost.url + "/hooks/commands/" + "x" * 26, {"text": "hello?"})
    assert (answer.status_code, answer.json()["id"]) == (404, "app.command_webhook.get.missing")


@pytest.mark.parametrize("body", [b"", b"{not json", b"[1]", b'{"text": 5}'])
def test_json_that_is_not_a_command_response_is_refused_without_using_the_hook(typed, world, body):
    response_url = typed()
    answer = requests.post(response_url, data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert (answer.status_code, answer.json()["id"]) == (400, "web.command_webhook.parse.app_error")
    assert world.command_webhook(response_url.rsplit("/", 1)[1])["use_count"] == 0


def test_a_reply_the_user_could_not_post_fails_and_still_counts_as_a_use(typed, world):
    secret = world.add_channel("secret", members=["bob"])
    response_url = typed()
    answer = reply(response_url, {"text": "sneaky", "channel_id": secret["id"]})
    assert answer.status_code == 500
    assert answer.json()["id"] == "api.command.execute_command.create_post_failed.app_error"
    assert world.command_webhook(response_url.rsplit("/", 1)[1])["use_count"] == 1
