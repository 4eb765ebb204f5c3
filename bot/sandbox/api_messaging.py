"""The channel and post endpoints: ``POST /api/v4/channels/direct`` and ``POST /api/v4/posts``.

Sources: MM ``server/channels/api4/channel.go`` @005c810a (``createDirectChannel``: 201 whether the
channel is new or already existed), ``server/channels/api4/post.go`` @00a2b403 (``createPost``: 201),
``server/channels/api4/post_utils.go`` (``userCreatePostPermissionCheckWithContext``) and
``server/public/model/utils.go`` (``NonSortedArrayFromJSON``, ``PayloadParseError``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g

from .flask_io import decode_body, json_response
from .ids import is_valid_id
from .roles import CREATE_DIRECT_CHANNEL, CREATE_POST_EPHEMERAL
from .views import post_view
from .wire import AppError, check_json_types, invalid_body_param, permission_error
from .world import World

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


def _post_body() -> dict[str, Any]:
    """The ``model.Post`` of the request body; 400 invalid ``post`` when it does not decode."""
    try:
        value = decode_body()
    except ValueError:
        raise invalid_body_param("post") from None
    post = {} if value is None else value
    if not isinstance(post, dict):
        raise invalid_body_param("post")
    try:
        check_json_types(post, _POST_FIELDS, "post")
    except ValueError:
        raise invalid_body_param("post") from None
    return post


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

    @app.post(api + "/posts")
    def create_post() -> Response:
        body = _post_body()
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
