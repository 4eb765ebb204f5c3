"""What Mattermost does when someone types a custom slash command, and what they then see.

Sources (MATTERMOST.md §1.2–§1.4): MM ``server/channels/app/command.go``
(``tryExecuteCustomCommand``, ``MentionsToTeamMembers``, ``DoCommandRequest``,
``HandleCommandResponsePost``), ``server/public/model/command_response.go``
(``CommandResponseFromHTTPBody``) and ``server/public/model/command_args.go``
(``GenerateTriggerId``).
"""
from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from .world import World

MAX_INTEGRATION_RESPONSE_SIZE = 1024 * 1024
_AT_MENTION = re.compile(r"\B@[A-Za-z0-9][A-Za-z0-9.\-_:]*", re.ASCII)
_REMOTE_USERNAME = re.compile(r"[a-z0-9.\-_:]{1,64}")
_RESTRICTED_USERNAMES = {"all", "channel", "matterbot", "system"}
_USERNAME_SPECIAL_CHARS = ".-_"
_STRING_FIELDS = ("response_type", "text", "username", "channel_id", "icon_url", "type", "goto_location",
                  "trigger_id")


@dataclass(frozen=True)
class SlashResult:
    """The outcome of one slash command, as the server and the invoking user experience it.

    ``status``/``content_type`` are what the integration answered (0/"" when it could not
    be reached); ``response`` is the parsed ``CommandResponse`` JSON (``None`` for plain text
    or on failure); ``visible_text`` is the text of the post the user sees (``None`` when
    nothing is posted); ``ephemeral`` tells whether that post is shown only to them;
    ``error`` is the error message the user gets instead, if the command failed.
    """

    status: int
    content_type: str
    response: dict[str, Any] | None
    visible_text: str | None
    ephemeral: bool
    error: str | None
    elapsed_s: float


class _CommandFailed(Exception):
    """The command failed on the server side; the argument is the message the user sees."""


def _mentions(world: World, text: str) -> dict[str, str]:
    """``MentionsToTeamMembers``: name → user id for each @-mention of a team member, trailing
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
            if world.team_members_of(user["id"]):
                found[candidate] = user["id"]
            break
    return found


def _trigger_id(world: World, user_id: str) -> str:
    """An opaque id shaped like ``GenerateTriggerId``'s: base64 of ``clientId:userId:millis:`` + signature."""
    data = f"{world.new_id()}:{user_id}:{world.now_ms()}:"
    signature = base64.b64encode((world.new_id() * 3)[:70].encode("ascii")).decode("ascii")
    return base64.b64encode((data + signature).encode("ascii")).decode("ascii")


def _command_form(world: World, token: str, username: str, text: str, channel_name: str, team_name: str,
                  trigger: str, extra_fields: dict[str, str | list[str]] | None) -> list[tuple[str, str]]:
    """The ``url.Values`` the server sends, in ``Encode()`` order (keys sorted)."""
    user = world.user_by_username(username)
    channel = world.channel_by_name(channel_name)
    if world.team["name"] != team_name:
        raise KeyError(team_name)
    values: dict[str, list[str]] = {
        "token": [token], "team_id": [world.team["id"]], "team_domain": [team_name],
        "channel_id": [channel["id"]], "channel_name": [channel["name"]], "user_id": [user["id"]],
        "user_name": [user["username"]], "command": ["/" + trigger], "text": [text],
        "trigger_id": [_trigger_id(world, user["id"])],
        "response_url": [f"{world.site_url}/hooks/commands/{world.new_id()}"],
    }
    mentions = _mentions(world, text)
    if mentions:
        values["user_mentions"] = list(mentions)
        values["user_mentions_ids"] = list(mentions.values())
    for key, value in (extra_fields or {}).items():
        values[key] = [value] if isinstance(value, str) else list(value)
    return [(key, item) for key in sorted(values) for item in values[key]]


def _parse_json_response(body: bytes) -> dict[str, Any]:
    """``CommandResponseFromJSON``: invalid JSON, a non-object, or a wrongly typed field is an error."""
    doc = json.loads(body)  # raises ValueError, including for an empty body
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ValueError("cannot unmarshal into CommandResponse")
    for key in _STRING_FIELDS:
        if doc.get(key) is not None and not isinstance(doc[key], str):
            raise ValueError(f"{key} is not a string")
    for key, kind in (("skip_slack_parsing", bool), ("props", dict), ("attachments", list),
                      ("extra_responses", list)):
        if doc.get(key) is not None and not isinstance(doc[key], kind):
            raise ValueError(f"{key} has the wrong type")
    return doc


def _post_of(world: World, user_id: str, reply: dict[str, Any], trigger: str) -> tuple[str | None, bool]:
    """(visible text, ephemeral) of the post ``HandleCommandResponsePost`` makes for one reply.

    ``in_channel`` posts for everyone; ``ephemeral`` or empty posts only to the caller, and
    only with text or attachments; any other ``response_type`` posts nothing (``IsValid``
    merely logs it). Posting elsewhere needs channel membership; ``system_*`` types are refused.
    """
    target = reply.get("channel_id") or ""
    if (target and not world.is_channel_member(target, user_id)) or (reply.get("type") or "").startswith("system_"):
        raise _CommandFailed(f"Command '{trigger}' failed to post response. Please contact your System Administrator.")
    text = reply.get("text") or ""
    kind = reply.get("response_type") or ""
    if kind == "in_channel":
        return text, False
    if kind in ("ephemeral", "") and (text or reply.get("attachments")):
        return text, True
    return None, False


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
    ``extra_fields`` add or replace form fields (e.g. ``root_id``). The visible text is the
    reply text as sent (Slack-style markup conversion is not applied); ``extra_responses``
    are not shown.
    """
    form = _command_form(world, command_token, username, text, channel_name, team_name, trigger, extra_fields)
    user_id = world.user_by_username(username)["id"]
    headers = {"User-Agent": "Go-http-client/1.1", "Accept": "application/json", "Accept-Encoding": "gzip"}
    if command_token and send_auth_header:
        headers["Authorization"] = "Token " + command_token
    url, data = command_url, None
    if http_method.upper() == "GET":
        url += ("&" if "?" in command_url else "?") + urlencode(form)
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        data = urlencode(form)
    failed = f"Command with a trigger of '{trigger}' failed."
    started = time.monotonic()
    with requests.Session() as http:
        http.headers.clear()
        http.trust_env = False
        try:
            with http.request(http_method.upper(), url, data=data, headers=headers, timeout=timeout_s,
                              stream=True, allow_redirects=True) as answer:
                body = answer.raw.read(MAX_INTEGRATION_RESPONSE_SIZE, decode_content=True)
        except (requests.RequestException, OSError):
            return SlashResult(0, "", None, None, False, failed, time.monotonic() - started)
    elapsed = time.monotonic() - started
    content_type = answer.headers.get("Content-Type", "")

    def outcome(response: dict[str, Any] | None, error: str | None,
                shown: tuple[str | None, bool] = (None, False)) -> SlashResult:
        return SlashResult(answer.status_code, content_type, response, shown[0], shown[1], error, elapsed)

    if answer.status_code != 200:
        return outcome(None, f"Command with a trigger of '{trigger}' returned response "
                             f"{answer.status_code} {answer.reason}.")
    if content_type.split(";")[0].strip() == "application/json":
        try:
            response = _parse_json_response(body)
        except ValueError:
            return outcome(None, failed)
        reply = response
    else:
        response, reply = None, {"text": body.decode("utf-8", errors="replace")}
    try:
        return outcome(response, None, _post_of(world, user_id, reply, trigger))
    except _CommandFailed as failure:
        return outcome(response, str(failure))
