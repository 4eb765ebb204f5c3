"""Custom slash commands of a :class:`~bot.sandbox.world.World`: stored, validated and listed like the server.

A mixin: the world owns the lock, the id sequence and the clock, and calls
:meth:`Commands._init_commands` from its constructor. Methods raise :class:`~bot.sandbox.wire.AppError`
for what Mattermost's app and store layers refuse; the permission checks are the REST handlers'
(``api_commands.py``).

Sources: MM ``server/public/model/command.go`` @1140b87e (``Command``, ``IsValid``, ``PreSave``,
``Sanitize``), ``server/channels/app/command.go`` @86b60aad (``createCommand``, ``UpdateCommand``,
``validateCommandTriggerUniqueness``, ``ListAutocompleteCommands``, ``ListAllCommands``,
``DeleteCommand``) and ``server/channels/store/sqlstore/command_store.go`` (``Save`` refuses a
preset id; ``Delete`` only sets ``delete_at``; ``Get``/``GetByTeam`` skip deleted commands).
"""
from __future__ import annotations

import random
import re
import threading
from typing import Any

from .ids import is_valid_id, new_id
from .records import copied
from .wire import AppError

Record = dict[str, Any]

MAX_TRIGGER_LENGTH = 128
MAX_URL_LENGTH = 1024
MAX_DISPLAY_NAME_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 128

#: ``model.Command`` fields in struct order, with their JSON types (``autocomplete_data`` and
#: ``autocomplete_icon_data`` are not stored, ``db:"-"``, so they are accepted and dropped).
FIELDS: tuple[tuple[str, type], ...] = (
    ("id", str), ("token", str), ("create_at", int), ("update_at", int), ("delete_at", int),
    ("creator_id", str), ("team_id", str), ("trigger", str), ("method", str), ("username", str),
    ("icon_url", str), ("auto_complete", bool), ("auto_complete_desc", str), ("auto_complete_hint", str),
    ("display_name", str), ("description", str), ("url", str), ("plugin_id", str),
)
JSON_TYPES: tuple[tuple[str, type], ...] = (*FIELDS, ("autocomplete_data", dict), ("autocomplete_icon_data", str))

#: Triggers of built-in commands (``commandProviders``; abridged): no custom command may take them.
BUILT_IN_TRIGGERS = (
    "away", "code", "collapse", "dnd", "echo", "expand", "groupmsg", "header", "help", "invite",
    "invite_people", "join", "kick", "leave", "logout", "me", "msg", "mute", "offline", "online", "open",
    "purpose", "remove", "rename", "search", "settings", "shortcuts", "shrug", "status",
)
_PLUGIN_ID = re.compile(r"[a-zA-Z0-9\-_.]{3,190}")  # model.IsValidPluginId


def _go_len(value: str) -> int:
    """Go's ``len`` of a string: its UTF-8 bytes."""
    return len(value.encode("utf-8"))


def _is_http_url(value: str) -> bool:
    """``model.IsValidHTTPURL``: starts with ``http://`` or ``https://`` and has a host."""
    for scheme in ("http://", "https://"):
        if value.startswith(scheme):
            host = value[len(scheme):].split("/", 1)[0].split("?", 1)[0]
            return host != "" and not any(ch.isspace() for ch in value)
    return False


def _invalid(field: str) -> AppError:
    return AppError(f"model.command.is_valid.{field}.app_error", 400)


def command_problem(command: Record) -> AppError | None:
    """``Command.IsValid``: the first rule ``command`` breaks, in the server's order, or ``None``."""
    creator, plugin = command["creator_id"], command["plugin_id"]
    trigger, url = command["trigger"], command["url"]
    rules = (
        (not is_valid_id(command["id"]), "id"),
        (_go_len(command["token"]) != 26, "token"),
        (command["create_at"] == 0, "create_at"),
        (command["update_at"] == 0, "update_at"),
        (creator == "" and not _PLUGIN_ID.fullmatch(plugin), "plugin_id"),
        (plugin == "" and not is_valid_id(creator), "user_id"),
        (creator != "" and plugin != "", "plugin_id"),
        (not is_valid_id(command["team_id"]), "team_id"),
        (not 1 <= _go_len(trigger) <= MAX_TRIGGER_LENGTH or trigger.startswith("/") or " " in trigger, "trigger"),
        (url == "" or _go_len(url) > MAX_URL_LENGTH, "url"),
        (not _is_http_url(url), "url_http"),
        (command["method"] not in ("P", "G"), "method"),
        (_go_len(command["display_name"]) > MAX_DISPLAY_NAME_LENGTH, "display_name"),
        (_go_len(command["description"]) > MAX_DESCRIPTION_LENGTH, "description"),
    )
    return next((_invalid(field) for broken, field in rules if broken), None)


def from_body(body: Record) -> Record:
    """A ``model.Command`` decoded from a request body: every field, zero where absent."""
    zero = {str: "", int: 0, bool: False}
    return {name: body.get(name) if body.get(name) is not None else zero[kind] for name, kind in FIELDS}


def sanitized(command: Record) -> Record:
    """``Command.Sanitize``: token, creator, method, URL, username and icon blanked."""
    return dict(command, token="", creator_id="", method="", url="", username="", icon_url="")


def built_in_command(trigger: str) -> Record:
    """A built-in command as the listings show it (sanitized; descriptions left empty here)."""
    return sanitized(dict(from_body({"trigger": trigger}), auto_complete=True, display_name=trigger))


class Commands:
    """The custom slash commands of every team (mixed into ``World``)."""

    _lock: threading.RLock
    _rng: random.Random

    def now_ms(self) -> int:  # pragma: no cover - provided by World
        raise NotImplementedError

    def _init_commands(self) -> None:
        self._commands: dict[str, Record] = {}  # id -> command as stored, deleted ones included

    def _check_trigger_free(self, team_id: str, trigger: str, exclude_id: str = "") -> None:
        """``validateCommandTriggerUniqueness``: not a built-in, not another live command of the team."""
        taken = trigger.lower() in BUILT_IN_TRIGGERS or any(
            c["id"] != exclude_id and c["trigger"].lower() == trigger.lower() for c in self._live(team_id))
        if taken:
            raise AppError("api.command.duplicate_trigger.app_error", 400)

    def _live(self, team_id: str) -> list[Record]:
        return [c for c in self._commands.values() if c["team_id"] == team_id and c["delete_at"] == 0]

    def _stored(self, command: Record) -> Record:
        problem = command_problem(command)
        if problem is not None:
            raise problem
        self._commands[command["id"]] = command
        return copied(command)

    def create_command(self, creator_id: str, body: Record) -> Record:
        """``createCommand`` after its permission check: the caller becomes the creator, the trigger is
        lowercased and must be free, then ``Save`` (a preset id is a 500), ``PreSave`` (new id, a token
        unless one was given, timestamps) and ``IsValid``. Returns the stored command."""
        command = dict(from_body(body), creator_id=creator_id)
        command["trigger"] = command["trigger"].lower()
        with self._lock:
            self._check_trigger_free(command["team_id"], command["trigger"])
            if command["id"]:
                raise AppError("app.command.createcommand.internal_error", 500)
            now = self.now_ms()
            command.update(id=new_id(self._rng), token=command["token"] or new_id(self._rng),
                           create_at=now, update_at=now)
            return self._stored(command)

    def update_command(self, command_id: str, body: Record) -> Record:
        """``UpdateCommand``: the body's fields, but id, token, creator, plugin, team, ``create_at`` and
        ``delete_at`` kept from the stored command; the lowercased trigger must be free; ``IsValid``."""
        with self._lock:
            old = self._commands[command_id]
            command = from_body(body)
            command.update({key: old[key] for key in ("id", "token", "create_at", "delete_at", "creator_id",
                                                      "plugin_id", "team_id")},
                           trigger=command["trigger"].lower(), update_at=self.now_ms())
            self._check_trigger_free(command["team_id"], command["trigger"], exclude_id=command_id)
            return self._stored(command)

    def delete_command(self, command_id: str) -> None:
        """``DeleteCommand``: mark the command deleted (it disappears from every lookup)."""
        with self._lock:
            now = self.now_ms()
            self._commands[command_id].update(delete_at=now, update_at=now)

    def command_by_id(self, command_id: str) -> Record | None:
        """The live command with this id (``Store.Command().Get``), or ``None``."""
        with self._lock:
            command = self._commands.get(command_id)
            return copied(command) if command is not None and command["delete_at"] == 0 else None

    def team_commands(self, team_id: str) -> list[Record]:
        """The team's live custom commands, oldest first (``GetByTeam``)."""
        with self._lock:
            return copied(self._live(team_id))

    def registered_command(self, team_id: str, trigger: str) -> Record | None:
        """The team's live command for ``trigger``, as ``tryExecuteCustomCommand`` finds it, or ``None``."""
        with self._lock:
            return copied(next((c for c in self._live(team_id) if c["trigger"] == trigger), None))
