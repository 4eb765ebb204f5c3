"""The channel and post endpoints: ``POST /api/v4/channels/direct``, the channel lookups by id and by
name, a channel's members, a user's channels, and ``POST /api/v4/posts``.

Sources: MM ``server/channels/api4/channel.go`` @005c810a (``createDirectChannel``: 201 whether the
channel is new or already existed; ``getChannelByName``, ``getChannelByNameForTeamName``: an open
channel needs ``read_public_channel`` on the team or ``read_channel``, a private one ``read_channel``
or it is "missing"; ``getChannel``: an unknown id is 404 ``app.channel.get.existing.app_error``, then the
same rule but a refusal is always 403; ``getChannelMembers``: ``read_channel`` on the channel, else 403 —
an unknown channel included — so only members, and holders of ``read_channel`` through their system
role (``system_admin``; a role with "User Management → Channels: Can read"), see a channel's members,
public or private; ``getChannelsForUser`` streams its pages, so a user in no channel at all gets
``[`` followed by the not-found error under status 200), ``server/channels/app/channel.go``
(``GetChannelByNameForTeamName``), ``server/channels/api4/post.go`` @00a2b403 (``createPost``: 201),
``server/channels/api4/post_utils.go`` (``userCreatePostPermissionCheckWithContext``) and
``server/public/model/utils.go`` (``NonSortedArrayFromJSON``, ``PayloadParseError``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, request

from .exchanges import DEPARTURE_HEADER
from .flask_io import (
    decode_body,
    json_response,
    page_params,
    require_user_id,
    struct_body,
)
from .ids import is_valid_channel_name, is_valid_id, is_valid_team_name
from .roles import (
    CREATE_DIRECT_CHANNEL,
    CREATE_POST_EPHEMERAL,
    READ_CHANNEL,
    READ_PUBLIC_CHANNEL,
)
from .views import channel_view, post_view
from .wire import (
    JSON_CONTENT_TYPE,
    AppError,
    go_json,
    invalid_body_param,
    invalid_url_param,
    permission_error,
)
from .world import World

Record = dict[str, Any]
_POST_FIELDS = (*((key, str) for key in ("id", "channel_id", "root_id", "original_id", "message", "type",
                                         "pending_post_id", "hashtags")),
                ("props", dict), ("file_ids", list), ("create_at", int), ("is_pinned", bool))


def _user_ids() -> list[str]:
    """``NonSortedArrayFromJSON``: a JSON array of strings, duplicates dropped, order kept; ``null``
    is an empty list; anything else is 400 ``api.payload.parse.error``."""
    try:
        value = decode_body()
    except ValueError:
        raise AppError("api.payload.parse.error", 400) from None
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AppError("api.payload.parse.error", 400)
    return list(dict.fromkeys(value))


def add_messaging_routes(app: Flask, world: World, is_admin: Callable[[], bool]) -> None:
    """Register the channel and post endpoints on the stand-in's app (``g.session`` is the caller's)."""
    api = "/api/v4"

    @app.post(api + "/channels/direct")
    def create_direct_channel() -> Response:
        user_ids = _user_ids()
        me = g.session["user_id"]
        if len(user_ids) == 1 and user_ids[0] == me:  # a self-DM may name the caller once
            user_ids.append(me)
        if len(user_ids) != 2:
            raise invalid_body_param("user_ids")
        if not all(is_valid_id(user_id) for user_id in user_ids):
            raise invalid_body_param("user_id")
        if not world.has_permission(g.session, CREATE_DIRECT_CHANNEL):
            raise permission_error()
        if me not in user_ids and not is_admin():
            raise permission_error()
        other = user_ids[1] if user_ids[0] == me else user_ids[0]
        if not world.can_see_user(me, other):
            raise permission_error()
        return json_response(world.get_or_create_direct_channel(user_ids[0], user_ids[1]), 201, newline=True)

    def may_read(channel: Record) -> bool:
        """The rule of ``getChannel`` and the lookups by name: ``read_channel`` on the channel, or for an
        open channel ``read_public_channel`` on its team."""
        if world.has_channel_permission(g.session, channel["id"], READ_CHANNEL):
            return True
        return channel["type"] == "O" and world.has_team_permission(g.session, channel["team_id"], READ_PUBLIC_CHANNEL)

    def readable(channel: Record | None) -> Response:
        """The channel found by name, if the caller may read it; a private channel they may not is "missing"."""
        missing = AppError("app.channel.get_by_name.missing.app_error", 404)
        if channel is None:
            raise missing
        if not may_read(channel):
            raise permission_error() if channel["type"] == "O" else missing
        return json_response(channel_view(channel), newline=True)

    def channel_named(channel_name: str, team_id: str) -> Record | None:
        try:
            return world.channel_by_name(channel_name, team_id)
        except KeyError:
            return None

    @app.get(api + '/teams/<re("[A-Za-z0-9]+"):team_id>/channels/name/<re("[A-Za-z0-9_\\-]+"):channel_name>')
    def get_channel_by_name(team_id: str, channel_name: str) -> Response:
        if not is_valid_id(team_id):
            raise invalid_url_param("team_id")
        if not is_valid_channel_name(channel_name):
            raise invalid_url_param("channel_name")
        return readable(channel_named(channel_name, team_id))

    @app.get(api + '/teams/name/<re("[A-Za-z0-9_\\-]+"):team_name>/channels/name/<re("[A-Za-z0-9_\\-]+"):channel_name>')
    def get_channel_by_name_for_team_name(team_name: str, channel_name: str) -> Response:
        if not is_valid_team_name(team_name):
            raise invalid_url_param("team_name")
        if not is_valid_channel_name(channel_name):
            raise invalid_url_param("channel_name")
        try:
            team = world.team_by_name(team_name)
        except KeyError:
            raise AppError("app.team.get_by_name.missing.app_error", 404) from None
        return readable(channel_named(channel_name, team["id"]))

    channel_route = api + '/channels/<re("[A-Za-z0-9]+"):channel_id>'

    @app.get(channel_route)
    def get_channel(channel_id: str) -> Response:
        if not is_valid_id(channel_id):
            raise invalid_url_param("channel_id")
        channel = world.channel_by_id(channel_id)
        if channel is None:
            raise AppError("app.channel.get.existing.app_error", 404)
        if not may_read(channel):
            raise permission_error()
        return json_response(channel_view(channel), newline=True)

    @app.get(channel_route + "/members")
    def get_channel_members(channel_id: str) -> Response:
        if not is_valid_id(channel_id):
            raise invalid_url_param("channel_id")
        if not world.has_channel_permission(g.session, channel_id, READ_CHANNEL):
            raise permission_error()
        page, per_page = page_params()
        return json_response(world.channel_members_page(channel_id, page, per_page), newline=True)

    @app.get(api + '/users/<re("[A-Za-z0-9]+"):user_id>/channels')
    def get_channels_for_user(user_id: str) -> Response:
        """``getChannelsForUser``: every channel of the user, streamed as ``[``, each channel's JSON line
        joined by ``,``, ``]`` (``include_deleted`` and ``last_delete_at`` change nothing here: the
        stand-in never archives a channel)."""
        user_id = require_user_id(user_id)
        if not world.can_act_on_user(g.session, user_id):
            raise permission_error()
        try:
            last_delete_at = int(request.args.get("last_delete_at", "0"))
        except ValueError:
            last_delete_at = 0
        if last_delete_at < 0:
            raise invalid_url_param("last_delete_at")
        channels = world.channels_of_user(user_id)
        if channels:
            body = b",".join(go_json(channel, newline=True) for channel in channels) + b"]"
            return Response(b"[" + body, status=200, content_type=JSON_CONTENT_TYPE)
        body = go_json(AppError("app.channel.get_channels.not_found.app_error", 404).body(g.request_id))
        return Response(b"[" + body, status=200, content_type=JSON_CONTENT_TYPE,
                        headers={DEPARTURE_HEADER: "getChannelsForUser streams an error after '[' for a user with no channel"})

    @app.post(api + "/posts")
    def create_post() -> Response:
        body = struct_body(_POST_FIELDS, "post")
        channel_id = body.get("channel_id") or ""
        if not world.can_create_post(g.session, channel_id):
            raise permission_error()
        stored = world.create_post(g.session["user_id"], channel_id, body.get("message") or "",
                                   props=body.get("props"), root_id=body.get("root_id") or "",
                                   post_type=body.get("type") or "", is_oauth=g.session["is_oauth"])
        shown = post_view(stored)
        shown["pending_post_id"] = body.get("pending_post_id") or ""
        return json_response(shown, 201, newline=True)

    @app.post(api + "/posts/ephemeral")
    def create_ephemeral_post() -> Response:
        """``createEphemeralPost``: needs ``create_post_ephemeral``; the post is the caller's, shown to ``user_id``."""
        try:
            body = decode_body()
        except ValueError:
            raise invalid_body_param("body") from None
        if not isinstance(body, dict) or not isinstance(body.get("post"), dict) or not is_valid_id(str(body.get("user_id", ""))):
            raise invalid_body_param("body")
        if not world.has_permission(g.session, CREATE_POST_EPHEMERAL):
            raise permission_error()
        post = body["post"]
        post_id = world.send_ephemeral(str(body["user_id"]), str(post.get("channel_id") or ""), str(post.get("message") or ""),
                                       props=post.get("props"), author_id=g.session["user_id"])
        return json_response(world.ephemeral_post(post_id), 201, newline=True)
