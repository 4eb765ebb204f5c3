"""What Mattermost does when someone types a custom slash command: the request it sends the integration, and
what the user then sees (the reply itself is decoded and posted by :mod:`.command_responses`).

Sources (MATTERMOST.md §1.2–§1.5): MM ``server/channels/app/command.go``
(``ExecuteCommand``, ``tryExecuteCustomCommand``, ``MentionsToTeamMembers``, ``DoCommandRequest``,
``HandleCommandResponse``, ``HandleCommandResponsePost``), ``server/channels/app/webhook.go``
(``CreateCommandWebhook``, ``HandleCommandWebhook``), ``server/public/model/command_response.go``
(``CommandResponseFromHTTPBody``), ``server/public/model/message_attachment.go``
(``ParseMessageAttachment``) and ``server/public/model/command_args.go`` (``GenerateTriggerId``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .command_responses import (
    Invocation,
    command_response_from_http_body,
    post_hook_reply,
    respond,
)
from .outgoing import (
    MAX_INTEGRATION_RESPONSE_SIZE,
    Answer,
    call_integration,
    trigger_id,
)
from .wire import AppError
from .world import World

__all__ = ["MAX_INTEGRATION_RESPONSE_SIZE", "SlashResult", "command_response_from_http_body", "post_hook_reply",
           "run_registered_command", "run_slash_command"]
_AT_MENTION = re.compile(r"\B@[A-Za-z0-9][A-Za-z0-9.\-_:]*", re.ASCII)
_REMOTE_USERNAME = re.compile(r"[a-z0-9.\-_:]{1,64}")
_RESTRICTED_USERNAMES = {"all", "channel", "matterbot", "system"}
_USERNAME_SPECIAL_CHARS = ".-_"


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
                  team: dict[str, Any], invocation: Invocation, extra_fields: dict[str, str | list[str]] | None
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
    invocation = Invocation(user["id"], channel["id"], root_id if isinstance(root_id, str) else "", trigger)
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


def _interpret(world: World, invocation: Invocation, answer: Answer) -> SlashResult:
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
    shown, extra_ids, error = respond(world, invocation, reply)
    return SlashResult(answer.status, answer.content_type, response, shown.text, shown.ephemeral, error,
                       answer.elapsed_s, shown.post_id, extra_ids)


