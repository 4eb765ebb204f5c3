"""``sessions-bot install``, ``uninstall`` and ``check``: settings and the manifest in, lines printed, a status out.

Exit statuses: 0 done (``check``: every line ✓), 1 Mattermost refused or something needs fixing,
2 a usage mistake, 3 the configuration is invalid (as when the bot itself starts).
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Callable

from bot.core.errors import BotError
from bot.mattermost.registration import RegistrationAPI
from bot.ops.config import (
    ConfigError,
    MattermostSettings,
    load_mattermost_settings,
    load_settings,
)
from bot.ops.manifest import BadPublicURL, Manifest, ManifestError, load_manifest
from bot.setup.check import CheckInputs, CheckLine, check, format_check
from bot.setup.install import (
    RegistrationError,
    describe_failure,
    format_install,
    install,
    install_all_teams,
    uninstall,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG = 0, 1, 2, 3


class _Stop(Exception):
    """End the subcommand with ``status`` after printing ``message`` to stderr."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``install``, ``uninstall`` and ``check`` to the ``sessions-bot`` parser."""
    for name, purpose in (("install", "register /sessions on a team (again: update it in place)"),
                          ("uninstall", "remove /sessions from a team")):
        sub = commands.add_parser(name, help=purpose, description=purpose)
        where = sub.add_mutually_exclusive_group(required=True)
        where.add_argument("--team", help="the team's name (as in its URL) or id")
        where.add_argument("--all-teams", action="store_true", help="every team the bot account is a member of")
        if name == "install":
            sub.add_argument("--url", help="the bot's public base URL (default: BOT_PUBLIC_URL)")
    sub = commands.add_parser("check", help="verify the configuration end to end, one ✓/✗ line each")
    sub.add_argument("--team", action="append", default=[], help="check this team (repeatable; default: the bot's teams)")


def run(args: argparse.Namespace) -> int:
    """Run the ``install``, ``uninstall`` or ``check`` subcommand parsed into ``args``."""
    subcommand: Callable[[argparse.Namespace], int] = {"install": _install, "uninstall": _uninstall,
                                                        "check": _check}[args.command]
    try:
        return subcommand(args)
    except _Stop as stop:
        print(f"sessions-bot {args.command}: {stop}", file=sys.stderr)
        return stop.status
    except (RegistrationError, BadPublicURL, ManifestError) as exc:
        print(f"sessions-bot {args.command}: {exc}", file=sys.stderr)
    except BotError as exc:
        print(f"sessions-bot {args.command}: {describe_failure(exc)}", file=sys.stderr)
    return EXIT_FAILED


def _mattermost_settings() -> MattermostSettings:
    try:
        return load_mattermost_settings()
    except ConfigError as exc:
        raise _Stop(EXIT_CONFIG, str(exc)) from None


def _env_tokens() -> tuple[str, ...]:
    """The command tokens already in ``SLASH_COMMAND_TOKENS``, if it is set."""
    return tuple(token.strip() for token in os.environ.get("SLASH_COMMAND_TOKENS", "").split(",") if token.strip())


def _install(args: argparse.Namespace) -> int:
    settings = _mattermost_settings()
    public_url = args.url or settings.bot_public_url
    if not public_url:
        raise _Stop(EXIT_USAGE, "give --url https://<where Mattermost reaches the bot> or set BOT_PUBLIC_URL")
    manifest = load_manifest()
    api = RegistrationAPI(settings)
    if args.all_teams:
        results = install_all_teams(api, manifest, public_url)
    else:
        results = [install(api, manifest, args.team, public_url)]
    print(format_install(results, _env_tokens()))
    return EXIT_OK


def _uninstall(args: argparse.Namespace) -> int:
    settings = _mattermost_settings()
    manifest = load_manifest()
    api = RegistrationAPI(settings)
    teams = api.my_team_ids() if args.all_teams else [args.team]
    removed_any = False
    for team in teams:
        removed = uninstall(api, manifest, team)
        removed_any |= removed
        print(f"removed /{manifest.trigger} from team {team}" if removed else f"there was no /{manifest.trigger} on team {team}")
    if removed_any:
        print("Its token no longer works: drop it from SLASH_COMMAND_TOKENS when you next restart the bot.")
    return EXIT_OK


def _check_inputs(teams: list[str]) -> tuple[MattermostSettings, CheckInputs, list[CheckLine]]:
    """The settings ``check`` works from; an invalid full configuration is itself a ✗ line."""
    try:
        settings = load_settings()
        return settings, CheckInputs.from_settings(settings, teams), [CheckLine(True, "the bot's configuration is valid")]
    except ConfigError as exc:
        problems = "; ".join(line.strip() for line in str(exc).splitlines()[1:])
        first = CheckLine(False, "the bot's configuration is valid", problems)
    mattermost = _mattermost_settings()
    inputs = CheckInputs(mattermost.mattermost_url, mattermost.bot_public_url, _env_tokens(), tuple(teams))
    return mattermost, inputs, [first]


def _check(args: argparse.Namespace) -> int:
    settings, inputs, lines = _check_inputs(args.team)
    manifest: Manifest = load_manifest()
    lines += check(RegistrationAPI(settings), manifest, inputs)
    print(format_check(lines))
    return EXIT_OK if all(line.ok for line in lines) else EXIT_FAILED
