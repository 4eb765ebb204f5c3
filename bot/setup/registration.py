"""Register the slash command in Mattermost, remove it, and check that a deployment works.

``install`` creates the command on a team or, when the team already has one with the manifest's
trigger, updates that one in place, so running it again never makes a second command; it returns
the command's token, which belongs in ``SLASH_COMMAND_TOKENS``. ``check`` walks what a working
deployment needs (Mattermost reachable, the bot's token accepted, the bot's permissions, the command
on each team with the right URL and a token the bot knows) and says how to fix each gap.

The calls go through :class:`RegistrationAPI`: the bot's own :class:`~bot.mattermost.client.MattermostAPI`
(same pooled client, timeouts and error types) plus the command endpoints and two team lookups.
The copy of Mattermost's API description this project checks its traffic against has no
``teams.yaml``, so teams are found through documented channel endpoints: every team has a
``town-square`` channel that cannot be renamed, archived or left, so
``GET /teams/name/{name}/channels/name/town-square`` gives a team's id, and the bot's teams are the
teams of its channels (``GET /users/me/channels``).
"""
from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Protocol
from urllib.parse import quote, urlencode

import requests

from bot.core.errors import BotError, BotTokenRejected, MattermostUnreachable, UpstreamMalformed, UpstreamRejected
from bot.core.model import User, is_id
from bot.mattermost.client import MattermostAPI
from bot.ops.config import Settings
from bot.ops.manifest import BadPublicURL, Manifest

#: ``model.DefaultChannelName``: the one channel every team has under this name, for good.
DEFAULT_CHANNEL = "town-square"
_TEAM_NAME = re.compile(r"[a-z0-9]+([a-z\-0-9]+|(__)?)[a-z0-9]+")  # model.IsValidTeamName (2 to 64)
_DUPLICATE_TRIGGER = "api.command.duplicate_trigger.app_error"
_NO_CHANNELS = "app.channel.get_channels.not_found.app_error"


class RegistrationError(Exception):
    """Registering, removing or checking the command cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Team:
    """A team, by id; ``name`` when it was given by name."""

    id: str
    name: str | None = None

    @property
    def label(self) -> str:
        """How to name the team to a person (and to ``--team``)."""
        return self.name or self.id


@dataclass(frozen=True)
class Command:
    """A registered slash command as Mattermost lists it to someone who may manage it."""

    id: str
    team_id: str
    trigger: str
    url: str
    token: str = field(repr=False)
    fields: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Any) -> Command:
        """From Mattermost's command JSON; ``UpstreamMalformed`` when it is not shaped as documented."""
        try:
            return cls(id=str(data["id"]), team_id=str(data["team_id"]), trigger=str(data["trigger"]),
                       url=str(data["url"]), token=str(data["token"]), fields=MappingProxyType(dict(data)))
        except (KeyError, TypeError, ValueError):
            raise UpstreamMalformed("a slash command was not shaped as documented") from None


class Change(enum.Enum):
    """What ``install`` did to a team's command."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class InstallResult:
    """The command on one team after ``install``: its id and its token (for ``SLASH_COMMAND_TOKENS``)."""

    team: Team
    trigger: str
    command_id: str
    url: str
    change: Change
    token: str = field(repr=False)

    @property
    def created(self) -> bool:
        """True when the command did not exist before."""
        return self.change is Change.CREATED


@dataclass(frozen=True)
class CheckLine:
    """One finding of ``check``: whether it holds, what was checked, and how to fix it if not."""

    ok: bool
    what: str
    fix: str = ""


@dataclass(frozen=True)
class CheckInputs:
    """What ``check`` holds Mattermost against: the bot's settings, and which teams (default: the bot's)."""

    mattermost_url: str
    public_url: str | None = None
    command_tokens: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings, teams: Iterable[str] = ()) -> CheckInputs:
        """The inputs a running bot has: its Mattermost URL, public URL and command tokens."""
        return cls(settings.mattermost_url, settings.bot_public_url, tuple(settings.slash_command_tokens), tuple(teams))


class RegistrationClient(Protocol):
    """The Mattermost calls registration makes (:class:`RegistrationAPI` over HTTP)."""

    def me(self) -> User: ...

    def permissions_of_roles(self, role_names: Iterable[str]) -> dict[str, frozenset[str]]: ...

    def find_team_id(self, team: str) -> str | None: ...

    def my_team_ids(self) -> list[str]: ...

    def commands(self, team_id: str) -> list[Command]: ...

    def create_command(self, body: Mapping[str, Any]) -> Command: ...

    def update_command(self, command_id: str, body: Mapping[str, Any]) -> Command: ...

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

    def commands(self, team_id: str) -> list[Command]:
        """``GET /commands?team_id=…&custom_only=true``: the team's custom commands with their tokens
        (needs ``manage_slash_commands`` on the team)."""
        body = self._get_json("/commands?" + urlencode({"team_id": team_id, "custom_only": "true"}))
        if not isinstance(body, list):
            raise UpstreamMalformed("the command list was not shaped as documented")
        return [Command.from_api(item) for item in body]

    def create_command(self, body: Mapping[str, Any]) -> Command:
        """``POST /commands``: answers 201 with the command and its new token."""
        return Command.from_api(self._call(lambda: self._driver.commands.create_command(options=dict(body))))

    def update_command(self, command_id: str, body: Mapping[str, Any]) -> Command:
        """``PUT /commands/{id}`` with the whole command (its id and team included)."""
        endpoint = "/commands/" + quote(command_id, safe="")
        return Command.from_api(self._call(lambda: self._driver.client.put(endpoint, options=dict(body))))

    def delete_command(self, command_id: str) -> None:
        """``DELETE /commands/{id}``."""
        self._call(lambda: self._driver.client.delete("/commands/" + quote(command_id, safe="")))


# -- install and uninstall -----------------------------------------------------------------

def _refusal(exc: UpstreamRejected, manifest: Manifest, team: Team) -> Exception:
    """What a refusal of a command call means for the person installing."""
    if exc.status == 403:
        return RegistrationError(
            f"Mattermost does not let the bot manage slash commands on team {team.label}: it needs "
            "manage_slash_commands there, and manage_others_slash_commands for a command someone else "
            "created (the System Admin role has both)")
    if exc.error_id == _DUPLICATE_TRIGGER:
        return RegistrationError(
            f"/{manifest.trigger} is taken on team {team.label} by a command the bot cannot see (a built-in "
            "command, or one it may not manage): remove that one in Integrations → Slash Commands, or change "
            "the trigger in the manifest")
    return exc


def resolve_team(api: RegistrationClient, team: str) -> Team:
    """The team named or identified by ``team``; ``RegistrationError`` when there is none the bot can see."""
    team_id = api.find_team_id(team.strip())
    if team_id is None:
        raise RegistrationError(
            f"Mattermost has no team {team!r} that the bot can see: use the team's name as in its URL "
            "(or its id), and make sure the bot is a member")
    return Team(team_id, None if team_id == team.strip() else team.strip())


def _registered(api: RegistrationClient, manifest: Manifest, team: Team) -> Command | None:
    """The team's command with the manifest's trigger, if there is one."""
    try:
        commands = api.commands(team.id)
    except UpstreamRejected as exc:
        raise _refusal(exc, manifest, team) from None
    return next((command for command in commands if command.trigger == manifest.trigger), None)


def _install_on(api: RegistrationClient, manifest: Manifest, team: Team, url: str) -> InstallResult:
    existing = _registered(api, manifest, team)
    body = manifest.command_body(team.id, url)
    try:
        if existing is None:
            command, change = api.create_command(body), Change.CREATED
        elif manifest.differences(existing.fields, url):
            command, change = api.update_command(existing.id, {"id": existing.id, **body}), Change.UPDATED
        else:
            command, change = existing, Change.UNCHANGED
    except UpstreamRejected as exc:
        raise _refusal(exc, manifest, team) from None
    return InstallResult(team, manifest.trigger, command.id, command.url, change, command.token)


def install(api: RegistrationClient, manifest: Manifest, team: str, public_url: str) -> InstallResult:
    """Register the command on ``team`` (a name or an id) at ``public_url`` + the manifest's path, or
    bring the team's existing command with that trigger up to date; running it again changes nothing."""
    url = manifest.command_url(public_url)
    return _install_on(api, manifest, resolve_team(api, team), url)


def install_all_teams(api: RegistrationClient, manifest: Manifest, public_url: str) -> list[InstallResult]:
    """``install`` on every team the bot is a member of (stops at the first failure; running it again is safe)."""
    url = manifest.command_url(public_url)
    teams = [Team(team_id) for team_id in api.my_team_ids()]
    if not teams:
        raise RegistrationError(f"the bot is a member of no team: add @{manifest.bot_username} to the teams "
                                f"that should have /{manifest.trigger}")
    return [_install_on(api, manifest, team, url) for team in teams]


def uninstall(api: RegistrationClient, manifest: Manifest, team: str) -> bool:
    """Remove the command with the manifest's trigger from ``team``; False when there was none."""
    target = resolve_team(api, team)
    existing = _registered(api, manifest, target)
    if existing is None:
        return False
    try:
        api.delete_command(existing.id)
    except UpstreamRejected as exc:
        raise _refusal(exc, manifest, target) from None
    return True


# -- check ---------------------------------------------------------------------------------

def _guarded(what: str, produce: Callable[[], list[CheckLine]]) -> list[CheckLine]:
    """The lines ``produce`` makes, or one failed line saying why it could not."""
    try:
        return produce()
    except (BotError, RegistrationError, BadPublicURL) as exc:
        return [CheckLine(False, what, describe_failure(exc))]


def _permission_lines(api: RegistrationClient, manifest: Manifest, me: User, buttons: bool) -> list[CheckLine]:
    held = frozenset().union(*api.permissions_of_roles(me.roles).values())
    fix = f"give @{me.username} a role that grants it, e.g. System Admin: mmctl roles system-admin {me.username}"
    lines = []
    for permission in manifest.permissions:
        what = f"the bot holds {permission.name}, to {permission.purpose}"
        if permission.name in held:
            lines.append(CheckLine(True, what))
        elif permission.only_with_buttons and not buttons:
            lines.append(CheckLine(True, f"{permission.name} is not needed while BOT_PUBLIC_URL is unset (no buttons)"))
        else:
            lines.append(CheckLine(False, what, fix))
    return lines


def _team_lines(api: RegistrationClient, manifest: Manifest, team: Team, url: str | None,
                tokens: tuple[str, ...]) -> list[CheckLine]:
    name = f"/{manifest.trigger} on team {team.label}"
    rerun = f"run: sessions-bot install --team {team.label}"
    try:
        command = _registered(api, manifest, team)
    except RegistrationError as exc:
        return [CheckLine(False, f"the bot can manage slash commands on team {team.label}", str(exc))]
    if command is None:
        return [CheckLine(False, f"{name} is registered", rerun)]
    drift = manifest.differences(command.fields, url)
    if "url" in drift:
        state = CheckLine(False, f"{name} points at {url}", f"it points at {command.url}; {rerun} (updates it in place)")
    elif drift:
        state = CheckLine(False, f"{name} matches the manifest", f"it differs in {', '.join(drift)}; {rerun}")
    else:
        unchecked = "" if url else " (not compared: BOT_PUBLIC_URL is unset)"
        state = CheckLine(True, f"{name} is registered and points at {command.url}{unchecked}")
    known = command.token in tokens
    token = CheckLine(known, f"the token of {name} is in SLASH_COMMAND_TOKENS",
                      "" if known else f"add the token that `sessions-bot install --team {team.label}` prints")
    return [state, token]


def _command_lines(api: RegistrationClient, manifest: Manifest, inputs: CheckInputs) -> list[CheckLine]:
    teams = [resolve_team(api, team) for team in inputs.teams] or [Team(team_id) for team_id in api.my_team_ids()]
    if not teams:
        return [CheckLine(False, "the bot is a member of a team",
                          f"add @{manifest.bot_username} to every team that should have /{manifest.trigger}")]
    url = manifest.command_url(inputs.public_url) if inputs.public_url else None
    return [line for team in teams for line in _team_lines(api, manifest, team, url, inputs.command_tokens)]


def check(api: RegistrationClient, manifest: Manifest, inputs: CheckInputs) -> list[CheckLine]:
    """Everything a working deployment needs, in order; stops early when Mattermost or the token fails."""
    reached = f"Mattermost answers at {inputs.mattermost_url}"
    try:
        me = api.me()
    except MattermostUnreachable as exc:
        return [CheckLine(False, reached, f"check MATTERMOST_URL and that this host can reach it ({exc.detail})")]
    except BotTokenRejected:
        return [CheckLine(True, reached), CheckLine(
            False, "Mattermost accepts MATTERMOST_TOKEN",
            f"create a new personal access token for the bot account (@{manifest.bot_username}) and set "
            "MATTERMOST_TOKEN to it")]
    except BotError as exc:
        return [CheckLine(False, reached, describe_failure(exc))]
    lines = [CheckLine(True, reached), CheckLine(True, f"Mattermost accepts MATTERMOST_TOKEN (it is @{me.username}'s)")]
    lines += _guarded("the bot's permissions can be read",
                      lambda: _permission_lines(api, manifest, me, buttons=inputs.public_url is not None))
    lines += _guarded(f"/{manifest.trigger} can be looked up on the bot's teams",
                      lambda: _command_lines(api, manifest, inputs))
    return lines


# -- what the command line prints ----------------------------------------------------------

def format_check(lines: Iterable[CheckLine]) -> str:
    """One line per finding: ``✓ what``, or ``✗ what — fix``."""
    return "\n".join(f"✓ {line.what}" if line.ok else f"✗ {line.what}" + (f" — {line.fix}" if line.fix else "")
                     for line in lines)


def format_install(results: Iterable[InstallResult], known_tokens: Iterable[str] = ()) -> str:
    """What ``install`` did per team, then the ``SLASH_COMMAND_TOKENS`` value that covers every command."""
    results = list(results)
    known = list(known_tokens)
    lines = [f"{r.change.value} /{r.trigger} on team {r.team.label} → {r.url} (command {r.command_id})"
             for r in results]
    lines.append("SLASH_COMMAND_TOKENS=" + ",".join(dict.fromkeys([*known, *(r.token for r in results)])))
    if any(r.token not in known for r in results):
        lines.append("Set SLASH_COMMAND_TOKENS to the line above and restart the bot: it refuses commands "
                     "whose token it does not know.")
    return "\n".join(lines)


def describe_failure(exc: Exception) -> str:
    """One line for a person about why a registration call failed."""
    if isinstance(exc, MattermostUnreachable):
        return f"Mattermost did not answer: {exc.detail}"
    if isinstance(exc, BotTokenRejected):
        return "Mattermost rejected MATTERMOST_TOKEN (invalid, expired or revoked)"
    if isinstance(exc, UpstreamRejected):
        return f"Mattermost refused the request: HTTP {exc.status}" + (f" {exc.error_id}" if exc.error_id else "")
    if isinstance(exc, UpstreamMalformed):
        return f"Mattermost answered in an unexpected shape: {exc.detail}"
    return str(exc) or type(exc).__name__
