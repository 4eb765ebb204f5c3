"""Clicking message buttons: what the Mattermost server sends to an action URL, and what the clicker sees.

Sources (MATTERMOST.md §2.1–§2.3): MM ``server/channels/app/integration_action.go`` @1d9028b1
(``DoPostActionWithCookie``, ``DoActionRequest``), ``server/public/model/integration_action.go``
@02c02352 (``PostActionIntegrationRequest``, ``PostActionIntegrationResponse``) and
``server/channels/api4/action.go`` (``doPostAction``).

What the server does, in order: it resolves the action from the stored post, or for an ephemeral
post from the action's cookie (only the user the post was shown to has it); the clicker needs
``read_channel_content`` in the channel. It POSTs the ``PostActionIntegrationRequest`` JSON (the
clicker's ids, the channel, team and post, a fresh trigger id, the action's type and the stored
``context``) with ``Content-Type`` and ``Accept: application/json`` and no credentials. A failed
connection, a status other than 200 or a body that does not decode as a
``PostActionIntegrationResponse`` fails the click (400 to the client). An ``update`` goes through
``UpdatePost``, which only finds posts in the database: for an **ephemeral post it fails with 404
``app.post.get.app_error``, the click fails, and ``ephemeral_text`` is not shown**. Otherwise a
non-empty ``ephemeral_text`` becomes an ephemeral post for the clicker in the post's thread,
``<url|text>`` links converted unless ``skip_slack_parsing``.

The request's ``team_id`` is the post's channel's (``upstreamRequest.TeamId = channel.TeamId``, read at
@0029e8da): ``""`` for a direct or group message, and then no team is looked up, so ``team_domain`` is ``""``
too ("Direct and group channels won't have teams"). The stand-in's direct channels have ``team_id ""``;
it has no group channels.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .attachments import buttons_of, parse_slack_links
from .outgoing import Answer, call_integration, trigger_id
from .post_store import ClickTarget
from .posts import decode_update
from .wire import AppError, check_json_types, go_any, go_json
from .world import World

__all__ = ["ActionResult", "buttons_of", "click_button", "send_action"]

_INTEGRATION_FAILED = AppError("api.post.do_action.action_integration.app_error", 400)


@dataclass(frozen=True)
class ActionResult:
    """The outcome of one click, as the server and the clicking user experience it.

    ``status`` is what the action URL answered (0 when nothing was sent or it could not be
    reached); ``response`` its decoded ``PostActionIntegrationResponse`` (``None`` for an empty
    body or on failure); ``post`` the updated post as clients see it, when an ``update`` was
    applied; ``ephemeral_text`` the text of the ephemeral post then shown to the clicker;
    ``error`` why the click failed (what the server answered the client), ``None`` on success;
    ``goto_location`` the location the client is sent to, when the answer names one.
    """

    status: int
    response: dict[str, Any] | None
    post: dict[str, Any] | None
    ephemeral_text: str | None
    error: str | None
    elapsed_s: float
    goto_location: str | None = None


def _failed(error: AppError, why: str, answer: Answer | None = None, response: dict[str, Any] | None = None
            ) -> ActionResult:
    """A failed click: the server answers the client ``error``; ``why`` says what happened."""
    message = f"{why}; the click fails ({error.status_code} {error.id})"
    if answer is None:
        return ActionResult(0, None, None, None, message, 0.0)
    return ActionResult(answer.status, response, None, None, message, answer.elapsed_s)


def _decode_response(body: bytes) -> dict[str, Any]:
    """``json.Unmarshal`` into ``PostActionIntegrationResponse`` (an empty body is skipped by the caller)."""
    doc = json.loads(body)
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ValueError("not a PostActionIntegrationResponse")
    decode_update(doc.get("update"))
    check_json_types(doc, (("ephemeral_text", str), ("skip_slack_parsing", bool)), "PostActionIntegrationResponse")
    return doc


def _request_body(world: World, clicker: dict[str, Any], target: ClickTarget) -> bytes:
    """The ``PostActionIntegrationRequest`` JSON, fields in Go's order (``context`` only when non-empty)."""
    channel = target.channel
    team = world.team_by_id(channel["team_id"])
    body: dict[str, Any] = {
        "user_id": clicker["id"], "user_name": clicker["username"], "channel_id": channel["id"],
        "channel_name": channel["name"], "team_id": channel["team_id"],
        "team_domain": team["name"] if team is not None else "", "post_id": target.post_id,
        "trigger_id": trigger_id(world, clicker["id"]), "type": target.action.get("type", ""),
        "data_source": "",
    }
    context = target.action["integration"].get("context")
    if context:
        body["context"] = go_any(context)
    return go_json(body)


def _perform(world: World, clicker: dict[str, Any], target: ClickTarget, timeout_s: float) -> ActionResult:
    """Send the request for a resolved click and apply the answer like ``DoPostActionWithCookie``."""
    url = target.action["integration"].get("url", "")
    answer = call_integration("POST", url, {"Content-Type": "application/json", "Accept": "application/json"},
                              _request_body(world, clicker, target), timeout_s, world.network)
    if answer.status == 0:
        return _failed(_INTEGRATION_FAILED, f"the action URL {url} could not be reached", answer)
    if answer.status != 200:
        return _failed(_INTEGRATION_FAILED, f"the action URL answered {answer.status}", answer)
    try:
        response = _decode_response(answer.body) if answer.body else None
    except ValueError:
        return _failed(_INTEGRATION_FAILED, "the answer is not a PostActionIntegrationResponse", answer)
    doc = response or {}
    post = None
    if doc.get("update") is not None:
        try:
            post = world.apply_action_update(target.post_id, doc["update"])
        except AppError as refused:
            why = ("an ephemeral post cannot be updated (UpdatePost looks it up in the database)"
                   if target.ephemeral else "the update was refused")
            return _failed(refused, why, answer, response)
    shown = None
    if doc.get("ephemeral_text"):
        text = doc["ephemeral_text"]
        shown = text if doc.get("skip_slack_parsing") else parse_slack_links(text)
        world.send_ephemeral(clicker["id"], target.channel["id"], shown, props=target.retain_props,
                             root_id=target.root_post_id)
    goto = doc.get("goto_location")
    return ActionResult(answer.status, response, post, shown, None, answer.elapsed_s,
                        goto if isinstance(goto, str) and goto else None)


def click_button(world: World, post_id: str, button: str, username: str, *, timeout_s: float = 30.0
                 ) -> ActionResult:
    """``username`` clicks the button named ``button`` (its label, or its id) on a post.

    The post is an ephemeral post shown to that user (e.g. a slash reply, see
    :attr:`SlashResult.post_id`) or a stored post. Anyone else's ephemeral post, an unknown post
    or button, or a channel the user may not read fails without any request being sent.
    Never raises for network trouble. ``timeout_s`` is ``OutgoingIntegrationRequestsTimeout``.
    """
    clicker = world.user_by_username(username)
    try:
        target = world.click_target(post_id, clicker["id"], button)
    except LookupError as missing:
        return ActionResult(0, None, None, None, f"{missing.args[0]} (as {username}'s client shows it)", 0.0)
    except AppError as refused:
        return _failed(refused, f"the server refused {username}'s click")
    return _perform(world, clicker, target, timeout_s)


def send_action(world: World, url: str, username: str, context: dict[str, Any], *, post_id: str | None = None,
                channel_name: str = "town-square", timeout_s: float = 30.0) -> ActionResult:
    """The request the server sends when ``username`` clicks a button whose integration is
    ``url`` + ``context`` on some post in ``channel_name`` — e.g. one a user crafted with
    ``POST /api/v4/posts`` (MATTERMOST.md §2.3) — answered like :func:`click_button`.

    ``post_id`` (default: a fresh id) is the post named in the request; an ``update`` changes a
    stored post of that id, fails for an ephemeral one, and is otherwise only reported.
    """
    channel = world.channel_by_name(channel_name)
    target_id = post_id or world.new_id()
    target = ClickTarget(post_id=target_id, action={"type": "button", "integration": {"url": url, "context": context}},
                         channel=channel, root_post_id=target_id, retain_props={},
                         ephemeral=world.ephemeral_post(target_id) is not None)
    return _perform(world, world.user_by_username(username), target, timeout_s)
