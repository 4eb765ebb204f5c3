"""What Mattermost does when someone types a custom slash command, and what they then see, right away or
later through the command's ``response_url``.

Sources (MATTERMOST.md §1.2–§1.5): MM ``server/channels/app/command.go``
(``ExecuteCommand``, ``tryExecuteCustomCommand``, ``MentionsToTeamMembers``, ``DoCommandRequest``,
``HandleCommandResponse``, ``HandleCommandResponsePost``), ``server/channels/app/webhook.go``
(``CreateCommandWebhook``, ``HandleCommandWebhook``), ``server/public/model/command_response.go``
(``CommandResponseFromHTTPBody``), ``server/public/model/message_attachment.go``
(``ParseMessageAttachment``) and ``server/public/model/command_args.go`` (``GenerateTriggerId``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode

from .attachments import parse_attachments, parse_slack_links
from .outgoing import (
    MAX_INTEGRATION_RESPONSE_SIZE,
    Answer,
    call_integration,
    trigger_id,
)
from .posts import SLACK_ATTACHMENT
from .wire import AppError, check_json_types
from .world import World

__all__ = ["MAX_INTEGRATION_RESPONSE_SIZE", "SlashResult", "command_response_from_http_body", "post_hook_reply",
           "run_registered_command", "run_slash_command"]
_AT_MENTION = re.compile(r"\B@[A-Za-z0-9][A-Za-z0-9.\-_:]*", re.ASCII)
_REMOTE_USERNAME = re.compile(r"[a-z0-9.\-_:]{1,64}")
_RESTRICTED_USERNAMES = {"all", "channel", "matterbot", "system"}
_USERNAME_SPECIAL_CHARS = ".-_"
_FIELD_TYPES = (*((key, str) for key in ("response_type", "text", "username", "channel_id", "icon_url", "type",
                                          "goto_location", "trigger_id")),
                ("skip_slack_parsing", bool), ("props", dict), ("attachments", list), ("extra_responses", list))


@dataclass(frozen=True)
class SlashResult:
    """The outcome of one slash command, as the server and the invoking user experience it.

    ``status``/``content_type`` are what the integration answered (0/"" when it could not
    be reached); ``response`` is the parsed ``CommandResponse`` JSON (``None`` for plain text
    or on failure); ``visible_text`` is the text of the post the user sees (``None`` when
    nothing is posted); ``ephemeral`` tells whether that post is shown only to them;
    ``error`` is the error message the user gets instead, if the command failed.
    ``post_id`` names the post made of the reply (see :meth:`World.ephemeral_post` and
    :meth:`World.post_by_id`), ``None`` when nothing was posted; ``extra_post_ids`` those made of
    the reply's ``extra_responses``.
    """

    status: int
    content_type: str
    response: dict[str, Any] | None
    visible_text: str | None
    ephemeral: bool
    error: str | None
    elapsed_s: float
    post_id: str | None = None
    extra_post_ids: tuple[str, ...] = ()


class _CommandFailed(Exception):
    """The command failed on the server side; the argument is the message the user sees."""


def _mentions(world: World, text: str, team_id: str) -> dict[str, str]:
    """``MentionsToTeamMembers``: name → user id for each @-mention of a member of the team, trailing
    ``.``/``-``/``_`` trimmed when the full name is unknown."""
    names = dict.fromkeys(m[1:].lower() for m in _AT_MENTION.findall(text))
    found: dict[str, str] = {}
    for name in names:
        if not _REMOTE_USERNAME.fullmatch(name) or name in _RESTRICTED_USERNAMES:
            continue
        candidate = name
        while True:
            try:
                user = world.user_by_username(candidate)
            except KeyError:
                if candidate[-1:] and candidate[-1] in _USERNAME_SPECIAL_CHARS:
                    candidate = candidate[:-1]
                    continue
                break
            if any(member["team_id"] == team_id for member in world.team_members_of(user["id"])):
                found[candidate] = user["id"]
            break
    return found


def _command_form(world: World, token: str, user: dict[str, Any], text: str, channel: dict[str, Any],
                  team: dict[str, Any], invocation: _Invocation, extra_fields: dict[str, str | list[str]] | None
                  ) -> list[tuple[str, str]]:
    """The ``url.Values`` the server sends, in ``Encode()`` order (keys sorted); ``response_url`` names a
    command webhook made for this invocation."""
    values: dict[str, list[str]] = {
        "token": [token], "team_id": [team["id"]], "team_domain": [team["name"]],
        "channel_id": [channel["id"]], "channel_name": [channel["name"]], "user_id": [user["id"]],
        "user_name": [user["username"]], "command": ["/" + invocation.trigger], "text": [text],
        "trigger_id": [trigger_id(world, user["id"])],
    }
    hook = world.create_command_webhook(invocation.user_id, invocation.channel_id, invocation.root_id)
    values["response_url"] = [f"{world.site_url}/hooks/commands/{hook['id']}"]
    mentions = _mentions(world, text, team["id"])
    if mentions:
        values["user_mentions"] = list(mentions)
        values["user_mentions_ids"] = list(mentions.values())
    for key, value in (extra_fields or {}).items():
        values[key] = [value] if isinstance(value, str) else list(value)
    return [(key, item) for key in sorted(values) for item in values[key]]


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
class _Invocation:
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


def _publish(world: World, invocation: _Invocation, reply: dict[str, Any]) -> _Shown:
    """``HandleCommandResponsePost``: the post made for one reply.

    The post is the invoking user's, in their channel and thread (or the reply's ``channel_id``,
    which needs membership), with the reply's props plus ``from_webhook``, ``<url|text>`` links
    converted unless ``skip_slack_parsing``, and the decoded attachments. ``in_channel`` stores it
    (``CreatePost``'s checks apply); ``ephemeral`` or empty shows it to the invoker only, and only
    with text or attachments; any other ``response_type`` posts nothing. ``system_*`` types are refused.
    """
    failed = _CommandFailed(_post_failed(invocation.trigger).message)
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


def _post_failed(trigger: str) -> AppError:
    """``api.command.execute_command.create_post_failed.app_error``: a reply could not be posted."""
    return AppError("api.command.execute_command.create_post_failed.app_error", 500, (("Trigger", trigger),))


def _respond(world: World, invocation: _Invocation, reply: dict[str, Any]
             ) -> tuple[_Shown, tuple[str, ...], str | None]:
    """``HandleCommandResponse``: the reply's post, then one per ``extra_responses`` item; any
    failure fails the command (after all were tried). Returns (shown, extra post ids, error)."""
    error: str | None = None
    shown = _Shown()
    extra_ids: list[str] = []
    for index, item in enumerate([reply, *(reply.get("extra_responses") or ())]):
        try:
            published = _publish(world, invocation, item or {})
        except _CommandFailed as failure:
            error = str(failure)
            continue
        if index == 0:
            shown = published
        elif published.post_id is not None:
            extra_ids.append(published.post_id)
    return (_Shown() if error else shown), tuple(extra_ids), error


def run_slash_command(
    world: World,
    command_url: str,
    command_token: str,
    username: str,
    text: str,
    *,
    channel_name: str = "town-square",
    team_name: str = "acme",
    timeout_s: float = 30.0,
    http_method: str = "POST",
    extra_fields: dict[str, str | list[str]] | None = None,
    send_auth_header: bool = True,
    trigger: str = "sessions",
) -> SlashResult:
    """Run ``/<trigger> <text>`` for ``username`` against the integration at ``command_url``.

    Sends the request exactly as the server does (form fields, ``Accept``, ``Authorization:
    Token …`` when the token is non-empty and ``send_auth_header``, the form in the query
    string for ``GET``), then reads at most 1 MiB of the answer and interprets it like
    ``CommandResponseFromHTTPBody``: non-200 or invalid JSON fails the command; any
    non-JSON body is the text of an ephemeral reply; an empty non-JSON body is silent.
    Never raises for network trouble: a connection error or timeout becomes ``error``.
    ``extra_fields`` add or replace form fields (e.g. ``root_id``, which also puts the reply in
    that thread). The reply is posted as :func:`_publish` describes (an ephemeral one is kept by
    the world, see :meth:`World.ephemeral_post`); ``visible_text`` is the reply text as sent
    (the stored post has ``<url|text>`` links converted); ``extra_responses`` are posted too.
    """
    user = world.user_by_username(username)
    team = world.team_by_name(team_name)
    channel = world.channel_by_name(channel_name, team["id"])
    root_id = (extra_fields or {}).get("root_id")
    invocation = _Invocation(user["id"], channel["id"], root_id if isinstance(root_id, str) else "", trigger)
    form = _command_form(world, command_token, user, text, channel, team, invocation, extra_fields)
    headers = {"Accept": "application/json"}
    if command_token and send_auth_header:
        headers["Authorization"] = "Token " + command_token
    url, data = command_url, None
    if http_method.upper() == "GET":
        url += ("&" if "?" in command_url else "?") + urlencode(form)
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        data = urlencode(form)
    answer = call_integration(http_method.upper(), url, headers, data, timeout_s, world.network)
    return _interpret(world, invocation, answer)


def run_registered_command(world: World, username: str, text: str, *, team_name: str = "acme",
                           trigger: str = "sessions", **options: Any) -> SlashResult:
    """Run ``/<trigger> <text>`` as the server does for the team's registered custom command: to its
    URL, with its token, by its method (``tryExecuteCustomCommand``, ``DoCommandRequest``).

    With no such command on the team the user gets the server's "not found" error and nothing is
    sent. ``options`` are those of :func:`run_slash_command` (not ``http_method``: the command's own).
    """
    command = world.registered_command(world.team_by_name(team_name)["id"], trigger)
    if command is None:
        error = AppError("api.command.execute_command.not_found.app_error", 404, (("Trigger", trigger),))
        return SlashResult(0, "", None, None, False, error.message, 0.0)
    return run_slash_command(world, command["url"], command["token"], username, text, team_name=team_name,
                             trigger=trigger, http_method="GET" if command["method"] == "G" else "POST", **options)


def _interpret(world: World, invocation: _Invocation, answer: Answer) -> SlashResult:
    """``CommandResponseFromHTTPBody`` and ``HandleCommandResponse`` for the integration's answer."""
    failed = f"Command with a trigger of '{invocation.trigger}' failed."
    if answer.status == 0:
        return SlashResult(0, "", None, None, False, failed, answer.elapsed_s)

    def outcome(response: dict[str, Any] | None, error: str | None) -> SlashResult:
        return SlashResult(answer.status, answer.content_type, response, None, False, error, answer.elapsed_s)

    if answer.status != 200:
        return outcome(None, f"Command with a trigger of '{invocation.trigger}' returned response "
                             f"{answer.status} {answer.reason}.")
    try:
        response, reply = command_response_from_http_body(answer.content_type, answer.body)
    except ValueError:
        return outcome(None, failed)
    shown, extra_ids, error = _respond(world, invocation, reply)
    return SlashResult(answer.status, answer.content_type, response, shown.text, shown.ephemeral, error,
                       answer.elapsed_s, shown.post_id, extra_ids)


def post_hook_reply(world: World, hook: dict[str, Any], reply: dict[str, Any]) -> None:
    """``HandleCommandResponse`` for a reply sent to a command webhook: posted like the command's own reply,
    as the invoking user in the hook's channel and thread. :class:`AppError` 500 when a post fails (the
    hook's arguments carry no command text, so the message names an empty trigger)."""
    invocation = _Invocation(hook["user_id"], hook["channel_id"], hook["root_id"], "")
    _shown, _extra_ids, error = _respond(world, invocation, reply)
    if error is not None:
        raise _post_failed("")
