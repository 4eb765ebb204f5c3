"""The REST API v4 endpoints the bot uses, answering like Mattermost's ``api4`` handlers, and the command
webhooks behind ``response_url`` (``hooks.py``).

Sources: MM ``server/channels/api4/user.go`` (``getUser``, ``getUserByUsername``,
``getUserByEmail``, ``getSessions``, ``revokeSession``, ``revokeAllSessionsForUser``,
``revokeAllSessionsAllUsers``; the access token routes are in ``api_tokens.py``), ``api4/role.go``,
``api4/api.go`` (route patterns and the ``/api/v4/{anything}`` 404 catch-all), ``web/context.go`` (parameter checks) and
``app/authentication.go`` (``ParseAuthTokenFromRequest``). Routes answer only the method
they are registered for; any other method falls through to the 404 catch-all, as with
gorilla/mux. Session cookies are not supported (the bot sends bearer tokens).
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.local import LocalProxy
from werkzeug.routing import BaseConverter, Rule

from .api_commands import add_command_routes
from .api_directory import CLIENT_CONFIG_PATH, add_directory_routes
from .api_messaging import add_messaging_routes
from .api_tokens import add_token_routes
from .flask_io import body_map, page_params, require_user_id
from .flask_io import json_response as _json
from .hooks import add_hook_routes
from .ids import is_valid_id
from .roles import MANAGE_SYSTEM, VIEW_TEAM
from .views import role_view, session_view, user_view
from .wire import (
    AppError,
    invalid_body_param,
    invalid_url_param,
    not_found_route,
    permission_error,
    session_expired,
)
from .world import World

WORLD_KEY = "sandbox.world"
"""The environ key naming the :class:`World` a request is for (one app serves every world of a process)."""

#: The world of the request being handled (only valid while handling one).
CURRENT_WORLD: World = LocalProxy(lambda: request.environ[WORLD_KEY])  # type: ignore[assignment]

_USERNAME = re.compile(r"[a-z0-9.\-_]{1,64}")
_RESTRICTED_USERNAMES = {"all", "channel", "matterbot", "system"}
_ROLE_NAME = re.compile(r"[a-z0-9_]{1,64}")
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+")


class _Pattern(BaseConverter):
    """A path segment matching a gorilla/mux-style pattern, e.g. ``<re("[A-Za-z0-9]+"):user_id>``."""

    def __init__(self, url_map: Any, pattern: str) -> None:
        super().__init__(url_map)
        self.regex = pattern


class _ExactMethodsRule(Rule):
    """A route answering only its declared methods (no automatic ``HEAD``/``OPTIONS``), like gorilla/mux."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.methods is not None:
            self.methods -= {"HEAD", "OPTIONS"}


def _status_ok() -> Response:
    """``ReturnStatusOK``."""
    return _json({"status": "OK"})


def _bearer_token() -> tuple[str, bool]:
    """The token and whether it came from the query string, per ``ParseAuthTokenFromRequest``."""
    header = request.headers.get("Authorization", "")
    if len(header) > 6 and header[:6].upper() == "BEARER":
        return header[7:], False
    if len(header) > 5 and header[:5].lower() == "token":
        return header[6:], False
    return request.args.get("access_token", ""), True


def _body_array() -> list[str]:
    """``model.ArrayFromJSON``: a JSON array of strings (non-strings become ""); anything else is ``[]``."""
    try:
        doc = json.loads(request.get_data() or b"null")
    except ValueError:
        return []
    return [v if isinstance(v, str) else "" for v in doc] if isinstance(doc, list) else []


def create_api(world: World = CURRENT_WORLD) -> Flask:
    """A Flask app serving the stand-in's ``/api/v4`` endpoints and ``/hooks/commands/{id}`` from ``world``
    (by default, from the world each request carries in ``environ["sandbox.world"]``)."""
    app = Flask("mattermost_sandbox")
    app.url_rule_class = _ExactMethodsRule
    app.url_map.converters["re"] = _Pattern
    api = "/api/v4"
    user_route = api + '/users/<re("[A-Za-z0-9]+"):user_id>'

    def is_admin() -> bool:
        return world.has_permission(g.session, MANAGE_SYSTEM)

    def shown_user(user: dict[str, Any], *, is_self: bool) -> dict[str, Any]:
        return user_view(user, is_self=is_self, as_admin=is_admin(), show_email=world.show_email_address,
                         show_full_name=world.show_full_name)

    def unknown_user_error(error: AppError) -> AppError:
        """A lookup miss is a 404 unless the caller's view of users is restricted (then 403)."""
        return error if world.sees_everyone(g.session["user_id"]) else permission_error()

    @app.before_request
    def authenticate() -> None:
        if request.url_rule is None:
            return  # the 404 catch-all needs no session
        g.request_id = world.new_request_id()
        if not request.path.startswith(api + "/"):
            return  # a command webhook: its id is the credential (APIHandlerTrustRequester)
        token, from_query = _bearer_token()
        session = world.authenticate(token) if token else None
        if session is None:
            if request.path == CLIENT_CONFIG_PATH:  # APIHandler: no session needed, the limited config
                return
            raise session_expired()
        if from_query and not session["is_oauth"]:
            raise AppError("api.context.token_provided.app_error", 401)
        g.session = session

    @app.after_request
    def add_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response

    @app.errorhandler(AppError)
    def app_error(error: AppError) -> Response:
        return _json(error.body(g.request_id), error.status_code)

    @app.errorhandler(HTTPException)
    def no_route(_error: HTTPException) -> Response:
        error = not_found_route(request.path)
        return _json(error.body(""), error.status_code)

    @app.get(user_route)
    def get_user(user_id: str) -> Response:
        user_id = require_user_id(user_id)
        if not world.can_see_user(g.session["user_id"], user_id):
            raise permission_error()
        user = world.user_by_id(user_id)
        if user is None:
            raise AppError("app.user.missing_account.const", 404)
        return _json(shown_user(user, is_self=user_id == g.session["user_id"]), newline=True)

    @app.get(api + "/users")
    def get_users() -> Response:
        """``getUsers`` with ``in_team`` (``view_team`` on the team, else 403) and ``page``/``per_page``, sorted by
        username. The stand-in has no other filter: asking for one is a 501, never a silently wrong list."""
        unsupported = set(request.args) - {"in_team", "page", "per_page"}
        if unsupported:
            raise AppError("sandbox.get_users.unsupported_filter.app_error", 501)
        page, per_page = page_params()
        team_id = request.args.get("in_team", "")
        viewer = g.session["user_id"]
        if team_id:
            if not world.has_team_permission(g.session, team_id, VIEW_TEAM):
                raise permission_error()
            users = world.team_users(team_id)
        else:
            users = sorted(world.users(), key=lambda u: u["username"])
        shown = [u for u in users if world.can_see_user(viewer, u["id"])][page * per_page:(page + 1) * per_page]
        return _json([shown_user(user, is_self=user["id"] == viewer) for user in shown])

    @app.post(api + "/users/ids")
    def get_users_by_ids() -> Response:
        """``getUsersByIds``: an empty list or a malformed id is a 400; unknown ids and users the caller
        may not see are left out (``GetUsersByIds`` with the caller's view restrictions)."""
        user_ids = _body_array()
        if not user_ids:
            raise invalid_body_param("user_ids")
        if not all(is_valid_id(user_id) for user_id in user_ids):
            raise invalid_body_param("user_id")
        viewer = g.session["user_id"]
        found = [world.user_by_id(user_id) for user_id in dict.fromkeys(user_ids)]
        return _json([shown_user(user, is_self=user["id"] == viewer) for user in found
                      if user is not None and world.can_see_user(viewer, user["id"])])

    @app.get(api + '/users/username/<re("[A-Za-z0-9_\\-.]+"):username>')
    def get_user_by_username(username: str) -> Response:
        if not _USERNAME.fullmatch(username) or username in _RESTRICTED_USERNAMES:
            raise invalid_body_param("username")
        try:
            user = world.user_by_username(username)
        except KeyError:
            raise unknown_user_error(AppError("app.user.get_by_username.app_error", 404)) from None
        if not world.can_see_user(g.session["user_id"], user["id"]):
            raise permission_error()
        return _json(shown_user(user, is_self=user["id"] == g.session["user_id"]), newline=True)

    @app.get(api + "/users/email/<path:email>")
    def get_user_by_email(email: str) -> Response:
        email = email.lower()
        if not _EMAIL.fullmatch(email):
            raise invalid_url_param("email")
        if not (world.show_email_address or is_admin()):
            raise AppError("api.user.get_user_by_email.permissions.app_error", 403)
        user = world.user_by_email(email)
        if user is None:
            raise unknown_user_error(AppError("app.user.missing_account.const", 404))
        if not world.can_see_user(g.session["user_id"], user["id"]):
            raise permission_error()
        return _json(shown_user(user, is_self=False), newline=True)

    @app.get(user_route + "/sessions")
    def get_sessions(user_id: str) -> Response:
        user_id = require_user_id(user_id)
        if not world.can_act_on_user(g.session, user_id):
            raise permission_error()
        members = world.team_members_of(user_id)
        return _json([session_view(s, members) for s in world.sessions_of(user_id)])

    @app.post(user_route + "/sessions/revoke")
    def revoke_session(user_id: str) -> Response:
        user_id = require_user_id(user_id)
        if not world.can_act_on_user(g.session, user_id):
            raise permission_error()
        session_id = body_map().get("session_id", "")
        if session_id == "":
            raise invalid_body_param("session_id")
        session = world.find_session(session_id)
        if session is None:
            raise AppError("app.session.get.app_error", 400)
        if session["user_id"] != user_id:
            raise invalid_url_param("user_id")
        world.revoke_session(session["id"])
        return _status_ok()

    @app.post(user_route + "/sessions/revoke/all")
    def revoke_all_sessions_for_user(user_id: str) -> Response:
        user_id = require_user_id(user_id)
        if not world.can_act_on_user(g.session, user_id):
            raise permission_error()
        world.revoke_all_sessions(user_id)
        return _status_ok()

    @app.post(api + "/users/sessions/revoke/all")
    def revoke_all_sessions_all_users() -> Response:
        if not is_admin():
            raise permission_error()
        world.revoke_sessions_of_everyone()
        return _status_ok()

    @app.post(api + "/roles/names")
    def get_roles_by_names() -> Response:
        names = _body_array()
        if not names:
            raise invalid_body_param("rolenames")
        cleaned = [name for name in names if name.strip()]
        if not all(_ROLE_NAME.fullmatch(name) for name in cleaned):
            raise invalid_body_param("rolename")
        return _json([role_view(role) for role in world.roles_by_names(cleaned)])

    @app.get(api + '/roles/<re("[A-Za-z0-9]+"):role_id>')
    def get_role(role_id: str) -> Response:
        if not is_valid_id(role_id):
            raise invalid_url_param("role_id")
        role = world.role_by_id(role_id)
        if role is None:
            raise AppError("app.role.get.app_error", 404)
        return _json(role_view(role), newline=True)

    @app.get(api + '/roles/name/<re("[a-z0-9_]+"):role_name>')
    def get_role_by_name(role_name: str) -> Response:
        if not _ROLE_NAME.fullmatch(role_name):
            raise invalid_url_param("role_name")
        roles = world.roles_by_names([role_name])
        if not roles:
            raise AppError("app.role.get_by_name.app_error", 404)
        return _json(role_view(roles[0]), newline=True)

    add_messaging_routes(app, world, is_admin)
    add_directory_routes(app, world)
    add_token_routes(app, world, is_admin)
    add_command_routes(app, world)
    add_hook_routes(app, world)
    return app
