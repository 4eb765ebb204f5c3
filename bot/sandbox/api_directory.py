"""What the stand-in tells a caller about the site and its people: the client configuration (where the privacy
settings live), a user's team memberships, and a channel's member count.

Sources: MM ``server/channels/api4/config.go`` (``getClientConfig``: ``format`` missing is 501
``api.config.client.old_format.app_error``, another value 400; a request with a session gets
``ClientConfigWithComputed``, one without the limited config), ``server/config/client.go``
(``GenerateClientConfig`` adds ``ShowEmailAddress`` and ``ShowFullName`` to ``GenerateLimitedClientConfig``),
``server/channels/api4/team.go`` (``getTeamMembersForUser``: ``SessionHasPermissionToUser`` or
``read_other_users_teams``, then ``UserCanSeeOtherUser``, else 403; active memberships only, their ``roles``
including the scheme roles) and ``server/channels/api4/channel.go`` (``getChannelStats``: ``read_channel`` on the
channel, else 403; ``member_count`` counts members whose account is active, ``GetMemberCount``).

``GET /config/client`` and ``GET /users/{id}/teams/members`` are not in the copied fragments of the API
description (``system.yaml``, ``teams.yaml``); ``tests/support/contract.py`` describes them in ``SPEC_CORRECTIONS``.
"""
from __future__ import annotations

from flask import Flask, Response, g, request

from .flask_io import json_response, require_user_id
from .ids import is_valid_id
from .roles import READ_CHANNEL
from .wire import AppError, invalid_url_param, permission_error
from .world import World

#: Session-less requests may read the limited client configuration (``APIHandler``, no session required).
CLIENT_CONFIG_PATH = "/api/v4/config/client"

READ_OTHER_USERS_TEAMS = "read_other_users_teams"


def client_config(world: World, *, with_session: bool) -> dict[str, str]:
    """``ClientConfigWithComputed`` (``LimitedClientConfigWithComputed`` without a session), abridged to the keys
    a client of the stand-in reads; every value a string, as ``map[string]string``."""
    limited = {"Version": "10.5.0", "SiteURL": world.site_url, "SiteName": "Mattermost",
               "EnableSignInWithUsername": "true", "EnableSignInWithEmail": "true"}
    if not with_session:
        return limited
    return {**limited, "ShowEmailAddress": str(world.show_email_address).lower(),
            "ShowFullName": str(world.show_full_name).lower(),
            "EnableUserAccessTokens": str(world.enable_user_access_tokens).lower()}


def add_directory_routes(app: Flask, world: World) -> None:
    """Register the client configuration, team memberships and channel statistics endpoints."""
    api = "/api/v4"

    @app.get(CLIENT_CONFIG_PATH)
    def get_client_config() -> Response:
        fmt = request.args.get("format", "")
        if not fmt:
            raise AppError("api.config.client.old_format.app_error", 501)
        if fmt != "old":
            raise invalid_url_param("format")
        return json_response(client_config(world, with_session=g.get("session") is not None), newline=True)

    @app.get(api + '/users/<re("[A-Za-z0-9]+"):user_id>/teams/members')
    def get_team_members_for_user(user_id: str) -> Response:
        user_id = require_user_id(user_id)
        if not (world.can_act_on_user(g.session, user_id) or world.has_permission(g.session, READ_OTHER_USERS_TEAMS)):
            raise permission_error()
        if not world.can_see_user(g.session["user_id"], user_id):
            raise permission_error()
        return json_response(world.team_members_of(user_id), newline=True)

    @app.get(api + '/channels/<re("[A-Za-z0-9]+"):channel_id>/stats')
    def get_channel_stats(channel_id: str) -> Response:
        if not is_valid_id(channel_id):
            raise invalid_url_param("channel_id")
        if not world.has_channel_permission(g.session, channel_id, READ_CHANNEL):
            raise permission_error()
        active = [user_id for user_id in world.channel_members(channel_id)
                  if not (world.user_by_id(user_id) or {}).get("delete_at")]
        return json_response({"channel_id": channel_id, "member_count": len(active), "guest_count": 0,
                              "pinnedpost_count": 0, "files_count": 0}, newline=True)
