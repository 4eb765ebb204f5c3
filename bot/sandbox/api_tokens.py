"""The personal access token endpoints: create, list, read, revoke, disable and enable.

Sources: MM ``server/channels/api4/user.go`` @004cacd4 (``createUserAccessToken``, ``getUserAccessTokens``,
``getUserAccessTokensForUser``, ``getUserAccessToken``, ``revokeUserAccessToken``,
``disableUserAccessToken``, ``enableUserAccessToken``), ``server/channels/app/session.go`` @27810859 (the
app layer, see :mod:`bot.sandbox.access_tokens`), ``server/channels/app/authorization.go`` @b1683404
(``SessionHasPermissionToUserOrBot``) and ``server/channels/web/context.go`` (``RequireTokenId``).

Where they depart from ``users.yaml`` (see ``SPEC_CORRECTIONS`` in ``tests/support/contract.py``):

* creating a token answers **200**, not the documented 201 (the handler never calls ``WriteHeader``);
  an unknown user is 404 and ``EnableUserAccessTokens`` off is 501, neither documented;
* revoke, disable and enable answer **404** ``app.user_access_token.get_by_user.app_error`` for a token
  id that names no token, undocumented; an empty ``token_id`` is *not* a 400 either: the handlers set
  the invalid-parameter error without returning, so it is overwritten by the permission refusal or,
  for a caller who may act, by that 404;
* enabling is gated on ``create_user_access_token``, as the description says, not ``revoke_...``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g

from .flask_io import body_map, json_response, page_params, require_user_id, struct_body
from .ids import is_valid_id
from .roles import (
    CREATE_USER_ACCESS_TOKEN,
    READ_USER_ACCESS_TOKEN,
    REVOKE_USER_ACCESS_TOKEN,
)
from .views import access_token_view
from .wire import AppError, invalid_body_param, invalid_url_param, permission_error
from .world import World

Record = dict[str, Any]
_TOKEN_FIELDS = (("id", str), ("token", str), ("user_id", str), ("description", str), ("is_active", bool))
"""The fields of ``model.UserAccessToken``, which ``createUserAccessToken`` decodes its body into."""


def add_token_routes(app: Flask, world: World, is_admin: Callable[[], bool]) -> None:
    """Register the access token endpoints on the stand-in's app (``g.session`` is the caller's)."""
    api = "/api/v4"
    user_route = api + '/users/<re("[A-Za-z0-9]+"):user_id>'

    def require(permission: str) -> None:
        if not world.has_permission(g.session, permission):
            raise permission_error()

    def require_owner_access(user_id: str) -> None:
        """``SessionHasPermissionToUserOrBot`` on the token's owner, else 403."""
        if not world.can_act_on_user_or_bot(g.session, user_id):
            raise permission_error()

    @app.post(user_route + "/tokens")
    def create_user_access_token(user_id: str) -> Response:
        user_id = require_user_id(user_id)
        user = world.user_by_id(user_id)
        if user is None:
            raise AppError("app.user.missing_account.const", 404)
        if g.session["is_oauth"]:
            raise permission_error()
        description = struct_body(_TOKEN_FIELDS, "user_access_token").get("description") or ""
        if description == "":
            raise invalid_body_param("description")
        require(CREATE_USER_ACCESS_TOKEN)
        require_owner_access(user_id)
        if "system_admin" in user["roles"].split() and not is_admin():
            raise permission_error()
        token = world.create_access_token(user_id, description)
        return json_response(access_token_view(token, with_secret=True), newline=True)

    @app.get(api + "/users/tokens")
    def get_user_access_tokens() -> Response:
        if not is_admin():
            raise permission_error()
        page, per_page = page_params()
        return json_response([access_token_view(t) for t in world.access_tokens_page(None, page, per_page)])

    @app.get(user_route + "/tokens")
    def get_user_access_tokens_for_user(user_id: str) -> Response:
        user_id = require_user_id(user_id)
        require(READ_USER_ACCESS_TOKEN)
        require_owner_access(user_id)
        page, per_page = page_params()
        return json_response([access_token_view(t) for t in world.access_tokens_page(user_id, page, per_page)])

    @app.get(api + '/users/tokens/<re("[A-Za-z0-9]+"):token_id>')
    def get_user_access_token(token_id: str) -> Response:
        if not is_valid_id(token_id):
            raise invalid_url_param("token_id")
        require(READ_USER_ACCESS_TOKEN)
        token = world.get_access_token(token_id)
        require_owner_access(token["user_id"])
        return json_response(access_token_view(token), newline=True)

    def token_to_change(gate: str) -> Record:
        """The shared start of revoke, disable and enable: the ``token_id`` of the body (an empty one is
        looked up like any other, see the module docstring), the gate permission, the token, its owner."""
        token_id = body_map().get("token_id", "")
        require(gate)
        token = world.get_access_token(token_id)
        require_owner_access(token["user_id"])
        return token

    @app.post(api + "/users/tokens/revoke")
    def revoke_user_access_token() -> Response:
        world.revoke_access_token(token_to_change(REVOKE_USER_ACCESS_TOKEN)["id"])
        return json_response({"status": "OK"})

    @app.post(api + "/users/tokens/disable")
    def disable_user_access_token() -> Response:
        world.disable_access_token(token_to_change(REVOKE_USER_ACCESS_TOKEN)["id"])
        return json_response({"status": "OK"})

    @app.post(api + "/users/tokens/enable")
    def enable_user_access_token() -> Response:
        world.enable_access_token(token_to_change(CREATE_USER_ACCESS_TOKEN)["id"])
        return json_response({"status": "OK"})
