"""Register the slash command in Mattermost, and remove it: ``install`` creates the command on a team or, when
the team already has one with the manifest's trigger, updates that one in place, so running it again never
makes a second command; it returns the command's token, which belongs in ``SLASH_COMMAND_TOKENS``.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable

from bot.core.errors import (
    BotTokenRejected,
    MattermostUnreachable,
    UpstreamMalformed,
    UpstreamRejected,
)
from bot.mattermost.registration import RegisteredCommand, RegistrationClient
from bot.ops.manifest import Manifest

_DUPLICATE_TRIGGER = "api.command.duplicate_trigger.app_error"


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


def registered(api: RegistrationClient, manifest: Manifest, team: Team) -> RegisteredCommand | None:
    """The team's command with the manifest's trigger, if there is one."""
    try:
        commands = api.commands(team.id)
    except UpstreamRejected as exc:
        raise _refusal(exc, manifest, team) from None
    return next((command for command in commands if command.trigger == manifest.trigger), None)


def _install_on(api: RegistrationClient, manifest: Manifest, team: Team, url: str) -> InstallResult:
    existing = registered(api, manifest, team)
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
    existing = registered(api, manifest, target)
    if existing is None:
        return False
    try:
        api.delete_command(existing.id)
    except UpstreamRejected as exc:
        raise _refusal(exc, manifest, target) from None
    return True


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
