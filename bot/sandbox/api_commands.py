"""The slash command endpoints: ``POST``/``GET /api/v4/commands``, ``PUT``/``DELETE /api/v4/commands/{id}``.

Sources: MM ``server/channels/api4/command.go`` @86b60aad (``createCommand``, ``listCommands``,
``updateCommand``, ``deleteCommand``: ``manage_slash_commands`` on the command's team, plus
``manage_others_slash_commands`` for someone else's command; a command the caller may not manage on
its team is reported as not found) and ``server/channels/web/context.go`` (``RequireCommandId``,
``SetCommandNotFoundError``). Servers from 2025 on check ``manage_own_slash_commands`` instead of
``manage_slash_commands`` and filter listings by creator; the stand-in follows the permission named
in the API description.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, request

from .command_store import BUILT_IN_TRIGGERS, JSON_TYPES, built_in_command, sanitized
from .flask_io import decode_body, json_response
from .ids import is_valid_id
from .roles import MANAGE_OTHERS_SLASH_COMMANDS, MANAGE_SLASH_COMMANDS, VIEW_TEAM
from .views import command_view
from .wire import (
    AppError,
    check_json_types,
    go_parse_bool,
    invalid_body_param,
    invalid_url_param,
    permission_error,
)
from .world import World

Record = dict[str, Any]


def _command_body() -> Record:
    """The ``model.Command`` of the request body (``null`` is an empty one); 400 invalid ``command``
    when it does not decode into the struct."""
    try:
        value = decode_body()
    except ValueError:
        raise invalid_body_param("command") from None
    body = {} if value is None else value
    if not isinstance(body, dict):
        raise invalid_body_param("command")
    try:
        check_json_types(body, JSON_TYPES, "command")
    except ValueError:
        raise invalid_body_param("command") from None
    return body


def _not_found() -> AppError:
    """``SetCommandNotFoundError``."""
    return AppError("store.sql_command.save.get.app_error", 404)


def add_command_routes(app: Flask, world: World) -> None:
    """Register the slash command endpoints on the stand-in's app (``g.session`` is the caller's)."""
    api = "/api/v4"
    command_route = api + '/commands/<re("[A-Za-z0-9]+"):command_id>'

    def may(team_id: str, permission: str) -> bool:
        return world.has_team_permission(g.session, team_id, permission)

    def live_command(command_id: str) -> Record:
        """``RequireCommandId``, then the live command (404 when there is none)."""
        if not is_valid_id(command_id):
            raise invalid_url_param("command_id")
        command = world.command_by_id(command_id)
        if command is None:
            raise _not_found()
        return command

    def check_may_manage(command: Record) -> None:
        """``manage_slash_commands`` on the command's team (else it is "not found"), and
        ``manage_others_slash_commands`` when the caller did not create it."""
        if not may(command["team_id"], MANAGE_SLASH_COMMANDS):
            raise _not_found()
        if g.session["user_id"] != command["creator_id"] and not may(command["team_id"], MANAGE_OTHERS_SLASH_COMMANDS):
            raise permission_error()

    @app.post(api + "/commands")
    def create_command() -> Response:
        body = _command_body()
        if not may(body.get("team_id") or "", MANAGE_SLASH_COMMANDS):
            raise permission_error()
        return json_response(command_view(world.create_command(g.session["user_id"], body)), 201, newline=True)

    @app.get(api + "/commands")
    def list_commands() -> Response:
        custom_only = go_parse_bool(request.args.get("custom_only", ""))
        team_id = request.args.get("team_id", "")
        if not team_id:
            raise invalid_body_param("team_id")
        if not may(team_id, VIEW_TEAM):
            raise permission_error()
        manager = may(team_id, MANAGE_SLASH_COMMANDS)
        if custom_only and not manager:
            raise permission_error()
        custom = world.team_commands(team_id)
        if custom_only:
            return json_response([command_view(c) for c in custom], newline=True)
        built_ins = [built_in_command(trigger) for trigger in BUILT_IN_TRIGGERS]
        if manager:  # ListAllCommands: built-ins first, then the team's commands, sanitized
            shown = built_ins + [sanitized(c) for c in custom]
        else:  # ListAutocompleteCommands: the team's autocompleting commands, sanitized, then built-ins
            shown = [sanitized(c) for c in custom if c["auto_complete"]] + built_ins
        return json_response([command_view(c) for c in shown], newline=True)

    @app.put(command_route)
    def update_command(command_id: str) -> Response:
        if not is_valid_id(command_id):
            raise invalid_url_param("command_id")
        body = _command_body()
        if body.get("id") != command_id:
            raise invalid_body_param("command")
        old = live_command(command_id)
        if (body.get("team_id") or "") != old["team_id"]:
            raise AppError("api.command.team_mismatch.app_error", 400)
        check_may_manage(old)
        return json_response(command_view(world.update_command(command_id, body)), newline=True)

    @app.delete(command_route)
    def delete_command(command_id: str) -> Response:
        command = live_command(command_id)
        check_may_manage(command)
        world.delete_command(command["id"])
        return json_response({"status": "OK"})
