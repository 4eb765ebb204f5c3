"""The calls that register the slash command: the bot's own :class:`~bot.mattermost.client.MattermostAPI` (same
pooled client, timeouts and error types) plus the command endpoints and two team lookups.

The copy of Mattermost's API description this project checks its traffic against has no ``teams.yaml``, so
teams are found through documented channel endpoints: every team has a ``town-square`` channel that cannot be
renamed, archived or left, so ``GET /teams/name/{name}/channels/name/town-square`` gives a team's id, and the
bot's teams are the teams of its channels (``GET /users/me/channels``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Protocol
from urllib.parse import quote, urlencode

import requests

from bot.core.errors import UpstreamMalformed, UpstreamRejected
from bot.core.model import User, is_id
from bot.mattermost.client import MattermostAPI

#: ``model.DefaultChannelName``: the one channel every team has under this name, for good.
DEFAULT_CHANNEL = "town-square"
_TEAM_NAME = re.compile(r"[a-z0-9]+([a-z\-0-9]+|(__)?)[a-z0-9]+")  # model.IsValidTeamName (2 to 64)
_NO_CHANNELS = "app.channel.get_channels.not_found.app_error"


@dataclass(frozen=True)
class RegisteredCommand:
    """A registered slash command as Mattermost lists it to someone who may manage it."""

    id: str
    team_id: str
    trigger: str
    url: str
    token: str = field(repr=False)
    fields: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> RegisteredCommand:
        """From Mattermost's command JSON; ``UpstreamMalformed`` when it is not shaped as documented."""
        try:
            return cls(id=str(data["id"]), team_id=str(data["team_id"]), trigger=str(data["trigger"]),
                       url=str(data["url"]), token=str(data["token"]), fields=MappingProxyType(dict(data)))
        except (KeyError, TypeError, ValueError):
            raise UpstreamMalformed("a slash command was not shaped as documented") from None


class RegistrationClient(Protocol):
    """The Mattermost calls registration makes (:class:`RegistrationAPI` over HTTP)."""

    def me(self) -> User: ...

    def permissions_of_roles(self, role_names: Iterable[str]) -> dict[str, frozenset[str]]: ...

    def find_team_id(self, team: str) -> str | None: ...

    def my_team_ids(self) -> list[str]: ...

    def commands(self, team_id: str) -> list[RegisteredCommand]: ...

    def create_command(self, body: Mapping[str, Any]) -> RegisteredCommand: ...

    def update_command(self, command_id: str, body: Mapping[str, Any]) -> RegisteredCommand: ...

    def delete_command(self, command_id: str) -> None: ...


class RegistrationAPI(MattermostAPI):
    """The bot's Mattermost API plus the calls that register its command (every failure a ``bot.core.errors`` type).

    mattermostdriver 7.3.2 builds the update and delete paths without their slash
    (``'/commands' + command_id``), so those two calls name their path themselves.
    """

    def me(self) -> User:
        """``GET /users/me``: the account whose token the bot uses."""
        return self._user("/users/me")

    def find_team_id(self, team: str) -> str | None:
        """The id of the team named (or, failing that, identified) by ``team``; ``None`` when Mattermost
        has no such team that the bot may see. Nothing is sent for a value that can be neither."""
        endpoints = []
        if len(team) <= 64 and _TEAM_NAME.fullmatch(team):
            endpoints.append(f"/teams/name/{team}/channels/name/{DEFAULT_CHANNEL}")
        if is_id(team):
            endpoints.append(f"/teams/{team}/channels/name/{DEFAULT_CHANNEL}")
        for endpoint in endpoints:
            try:
                channel = self._get_json(endpoint)
            except UpstreamRejected as exc:
                if exc.status in (403, 404):
                    continue
                raise
            if not isinstance(channel, dict) or not is_id(channel.get("team_id")):
                raise UpstreamMalformed("a channel was not shaped as documented")
            return str(channel["team_id"])
        return None

    def my_team_ids(self) -> list[str]:
        """The teams of the bot's channels (``GET /users/me/channels``), in the order first seen.

        Mattermost answers an account in no channel at all with a broken body (``[`` and its
        ``app.channel.get_channels.not_found`` error), which means no teams; any other body that is
        not JSON is ``UpstreamMalformed``.
        """
        body = self._call(lambda: self._driver.client.get("/users/me/channels"))
        if isinstance(body, requests.Response):  # the driver hands back non-JSON answers raw
            try:
                error = json.loads(body.text[1:]) if body.text.startswith("[") else None
            except ValueError:
                error = None
            if isinstance(error, dict) and error.get("id") == _NO_CHANNELS:
                return []
            raise UpstreamMalformed("GET /users/me/channels did not answer JSON")
        try:
            return list(dict.fromkeys(str(channel["team_id"]) for channel in body if channel["team_id"]))
        except (KeyError, TypeError):
            raise UpstreamMalformed("the channel list was not shaped as documented") from None

    def commands(self, team_id: str) -> list[RegisteredCommand]:
        """``GET /commands?team_id=…&custom_only=true``: the team's custom commands with their tokens
        (needs ``manage_slash_commands`` on the team)."""
        body = self._get_json("/commands?" + urlencode({"team_id": team_id, "custom_only": "true"}))
        if not isinstance(body, list):
            raise UpstreamMalformed("the command list was not shaped as documented")
        return [RegisteredCommand.from_api(item) for item in body]

    def create_command(self, body: Mapping[str, Any]) -> RegisteredCommand:
        """``POST /commands``: answers 201 with the command and its new token."""
        return RegisteredCommand.from_api(self._call(lambda: self._driver.commands.create_command(options=dict(body))))

    def update_command(self, command_id: str, body: Mapping[str, Any]) -> RegisteredCommand:
        """``PUT /commands/{id}`` with the whole command (its id and team included)."""
        endpoint = "/commands/" + quote(command_id, safe="")
        return RegisteredCommand.from_api(self._call(lambda: self._driver.client.put(endpoint, options=dict(body))))

    def delete_command(self, command_id: str) -> None:
        """``DELETE /commands/{id}``."""
        self._call(lambda: self._driver.client.delete("/commands/" + quote(command_id, safe="")))
