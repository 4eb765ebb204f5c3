"""``sessions-bot check``: walk what a working deployment needs (Mattermost reachable, the bot's token accepted,
the bot's permissions, the command on each team with the right URL and a token the bot knows) and say how to
fix each gap.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from bot.core.errors import BotError, BotTokenRejected, MattermostUnreachable
from bot.core.model import User
from bot.mattermost.registration import RegistrationClient
from bot.ops.config import Settings
from bot.ops.manifest import BadPublicURL, Manifest
from bot.setup.install import (
    RegistrationError,
    Team,
    describe_failure,
    registered,
    resolve_team,
)


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
        command = registered(api, manifest, team)
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


def format_check(lines: Iterable[CheckLine]) -> str:
    """One line per finding: ``✓ what``, or ``✗ what — fix``."""
    return "\n".join(f"✓ {line.what}" if line.ok else f"✗ {line.what}" + (f" — {line.fix}" if line.fix else "")
                     for line in lines)
