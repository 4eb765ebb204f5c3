"""What Mattermost does with an integration's reply to a slash command (right away, or later through its
``response_url``): decode it like ``CommandResponseFromHTTPBody``, then post it like ``HandleCommandResponse``.

Sources (MATTERMOST.md §1.3–§1.5): MM ``server/channels/app/command.go`` (``HandleCommandResponse``,
``HandleCommandResponsePost``), ``server/public/model/command_response.go`` (``CommandResponseFromHTTPBody``) and
``server/public/model/message_attachment.go`` (``ParseMessageAttachment``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from .attachments import parse_attachments, parse_slack_links
from .posts import SLACK_ATTACHMENT
from .wire import AppError, check_json_types
from .world import World

_FIELD_TYPES = (*((key, str) for key in ("response_type", "text", "username", "channel_id", "icon_url", "type",
                                          "goto_location", "trigger_id")),
                ("skip_slack_parsing", bool), ("props", dict), ("attachments", list), ("extra_responses", list))


class CommandFailed(Exception):
    """The command failed on the server side; the argument is the message the user sees."""


def _check_reply(doc: Any) -> dict[str, Any]:
    """One decoded ``CommandResponse`` (``null`` is empty); ``ValueError`` for a wrongly typed field,
    including inside ``attachments`` and ``extra_responses``."""
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ValueError("cannot unmarshal into CommandResponse")
    check_json_types(doc, _FIELD_TYPES, "CommandResponse")
    parse_attachments(doc.get("attachments"))
    for extra in doc.get("extra_responses") or ():
        _check_reply(extra)
    return doc


def command_response_from_http_body(content_type: str, body: bytes) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """``CommandResponseFromHTTPBody``: the decoded ``CommandResponse`` (``None`` unless JSON) and the reply to post.

    ``application/json`` is decoded with ``CommandResponseFromJSON``: invalid JSON (an empty body included),
    a non-object or a wrongly typed field raises ``ValueError``. Any other type makes the body the text.
    """
    if content_type.split(";")[0].strip() == "application/json":
        response = _check_reply(json.loads(body))
        return response, response
    return None, {"text": body.decode("utf-8", errors="replace")}


@dataclass(frozen=True)
class Invocation:
    """Where the command was typed: by whom, in which channel and thread."""

    user_id: str
    channel_id: str
    root_id: str
    trigger: str


class _Shown(NamedTuple):
    """The post made for one reply: its visible text, whether only the invoker sees it, its id."""

    text: str | None = None
    ephemeral: bool = False
    post_id: str | None = None


def _publish(world: World, invocation: Invocation, reply: dict[str, Any]) -> _Shown:
    """``HandleCommandResponsePost``: the post made for one reply.

    The post is the invoking user's, in their channel and thread (or the reply's ``channel_id``,
    which needs membership), with the reply's props plus ``from_webhook``, ``<url|text>`` links
    converted unless ``skip_slack_parsing``, and the decoded attachments. ``in_channel`` stores it
    (``CreatePost``'s checks apply); ``ephemeral`` or empty shows it to the invoker only, and only
    with text or attachments; any other ``response_type`` posts nothing. ``system_*`` types are refused.
    """
    failed = CommandFailed(post_failed(invocation.trigger).message)
    target = reply.get("channel_id") or ""
    post_type = reply.get("type") or ""
    if (target and not world.is_channel_member(target, invocation.user_id)) or post_type.startswith("system_"):
        raise failed
    text = reply.get("text") or ""
    kind = reply.get("response_type") or ""
    has_attachments = reply.get("attachments") is not None
    if kind not in ("in_channel", "ephemeral", "") or (kind != "in_channel" and not (text or has_attachments)):
        return _Shown()
    props = dict(reply.get("props") or {}, from_webhook="true")
    if has_attachments:
        props["attachments"] = parse_attachments(reply["attachments"])
        post_type = post_type or SLACK_ATTACHMENT
    message = text if reply.get("skip_slack_parsing") else parse_slack_links(text)
    channel_id = target or invocation.channel_id
    if kind != "in_channel":
        post_id = world.send_ephemeral(invocation.user_id, channel_id, message, props=props,
                                       root_id=invocation.root_id)
        return _Shown(text, True, post_id)
    try:
        post = world.create_post(invocation.user_id, channel_id, message, props=props,
                                 root_id=invocation.root_id, post_type=post_type)
    except AppError:
        raise failed from None
    return _Shown(text, False, post["id"])


def post_failed(trigger: str) -> AppError:
    """``api.command.execute_command.create_post_failed.app_error``: a reply could not be posted."""
    return AppError("api.command.execute_command.create_post_failed.app_error", 500, (("Trigger", trigger),))


def respond(world: World, invocation: Invocation, reply: dict[str, Any]
             ) -> tuple[_Shown, tuple[str, ...], str | None]:
    """``HandleCommandResponse``: the reply's post, then one per ``extra_responses`` item; any
    failure fails the command (after all were tried). Returns (shown, extra post ids, error)."""
    error: str | None = None
    shown = _Shown()
    extra_ids: list[str] = []
    for index, item in enumerate([reply, *(reply.get("extra_responses") or ())]):
        try:
            published = _publish(world, invocation, item or {})
        except CommandFailed as failure:
            error = str(failure)
            continue
        if index == 0:
            shown = published
        elif published.post_id is not None:
            extra_ids.append(published.post_id)
    return (_Shown() if error else shown), tuple(extra_ids), error


def post_hook_reply(world: World, hook: dict[str, Any], reply: dict[str, Any]) -> None:
    """``HandleCommandResponse`` for a reply sent to a command webhook: posted like the command's own reply,
    as the invoking user in the hook's channel and thread. :class:`AppError` 500 when a post fails (the
    hook's arguments carry no command text, so the message names an empty trigger)."""
    invocation = Invocation(hook["user_id"], hook["channel_id"], hook["root_id"], "")
    _shown, _extra_ids, error = respond(world, invocation, reply)
    if error is not None:
        raise post_failed("")
