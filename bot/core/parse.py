"""Parse the text of a ``/sessions`` slash command into a command value (pure, no I/O).

Total: any text yields a command. Text that is not understood yields ``Help(problem)``, the first
problem found reading left to right, as facts (``bot.core.commands.Problem``); ``bot.replies.usage``
says it in words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core import typed
from bot.core.commands import (
    MAX_NAMED_CHANNELS,
    MAX_NAMED_USERS,
    ChannelRef,
    Command,
    DisableTokens,
    Help,
    ListSessions,
    ListStale,
    ListTokens,
    Problem,
    ProblemKind,
    RevokeAll,
    RevokeEveryone,
    RevokeMany,
    RevokeSession,
    UserRef,
)
from bot.core.filters import Duration, Platform, SessionFilter
from bot.core.typed import TextProblem

_HELP_VERBS = frozenset({"help", "-h", "--help"})
_LIST_VERBS = frozenset({"list", "ls"})
_REVOKE_ALL_VERBS = frozenset({"revoke-all", "logout-everywhere"})
_TOKENS_VERBS = frozenset({"tokens"})
_DISABLE_TOKENS_VERBS = frozenset({"disable-tokens"})
_YES_FLAGS = frozenset({"--yes", "-y"})
_TOKENS, _EVERYONE, _CONFIRM = "--tokens", "--everyone", "--confirm"
_STALE = "--stale"
_CODE = re.compile(r"[A-Za-z0-9]{1,32}")
_PLATFORM, _OLDER_THAN, _INACTIVE = "--platform", "--older-than", "--inactive"
_FILTER_OPTIONS = frozenset({_PLATFORM, _OLDER_THAN, _INACTIVE})

_CHANNEL_NAME = re.compile(r"[a-z0-9_-]{1,64}")  # model.IsValidChannelIdentifier, lowercased


def parse(text: str) -> Command:
    """Parse the slash command's `text` (everything after `/sessions`) into a command.

    Pure and total: any string yields a command. Input that is not understood yields
    ``Help(problem=...)`` describing the first problem found, reading left to right.
    """
    tokens = text.split()
    if not tokens:
        return ListSessions(target=None)
    verb, args = tokens[0], tokens[1:]
    keyword = typed.keyword(verb)
    try:
        if keyword in _HELP_VERBS:
            return Help()
        if keyword in _LIST_VERBS:
            return _parse_list(args)
        if keyword == "revoke" and args and typed.keyword(args[0]) == "all":
            return _parse_revoke_all(args[1:])
        if keyword == "revoke":
            return _parse_revoke(args)
        if keyword in _REVOKE_ALL_VERBS:
            return _parse_revoke_all(args)
        if keyword in _TOKENS_VERBS:
            return ListTokens(_arguments(args, yes_allowed=False, filters_allowed=False).target)
        if keyword in _DISABLE_TOKENS_VERBS:
            arguments = _arguments(args, yes_allowed=True, filters_allowed=False)
            return DisableTokens(arguments.target, arguments.confirmed)
    except TextProblem as problem:
        return Help(problem=problem.problem)
    return Help(problem=Problem(ProblemKind.UNKNOWN_COMMAND, verb))


def _parse_list(args: list[str]) -> ListSessions | ListStale:
    stale = [i for i, token in enumerate(args) if _option_parts(token)[0] == _STALE]
    if stale:
        return _parse_stale(args, stale[0])
    arguments = _arguments(args, yes_allowed=False, filters_allowed=True)
    return ListSessions(target=arguments.target, filter=arguments.filter())


def _parse_stale(args: list[str], at: int) -> ListStale:
    """``list --stale [30d]`` (or ``--stale=30d``): the whole team, so no user and no other option."""
    _, equals, inline = _option_parts(args[at])
    rest = args[:at] + args[at + 1:]
    value = inline if equals else (rest.pop(at) if at < len(rest) and not rest[at].startswith(("-", "@")) else "")
    if rest:
        raise TextProblem(ProblemKind.STALE_TAKES_A_DURATION, option=_STALE)
    return ListStale(typed.duration(_STALE, value)) if value else ListStale()


def _parse_revoke(args: list[str]) -> RevokeSession:
    if not args:
        raise TextProblem(ProblemKind.REVOKE_NEEDS_ID)
    head, rest = args[0], args[1:]
    if head.startswith("-"):
        raise _option_problem(head)
    session = typed.session_id(head)
    arguments = _arguments(rest, yes_allowed=False, filters_allowed=False)
    return RevokeSession(session=session, target=arguments.target)


def _parse_revoke_all(args: list[str]) -> RevokeAll | RevokeMany | RevokeEveryone:
    if any(typed.keyword(token) == _EVERYONE for token in args):
        return _parse_everyone(args)
    with_tokens = any(typed.keyword(token) == _TOKENS for token in args)
    rest = [token for token in args if typed.keyword(token) != _TOKENS]
    arguments = _arguments(rest, yes_allowed=True, filters_allowed=True, many_allowed=True)
    if with_tokens and not arguments.filter().is_empty:
        raise TextProblem(ProblemKind.TOKENS_WITH_A_FILTER, option=_TOKENS)
    if len(arguments.users) > 1 or arguments.channels:
        if None in arguments.users:
            raise TextProblem(ProblemKind.ME_IN_BULK)
        return RevokeMany(tuple(u for u in arguments.users if u is not None), tuple(arguments.channels),
                          arguments.confirmed, arguments.filter(), tokens=with_tokens)
    return RevokeAll(target=arguments.target, confirmed=arguments.confirmed, filter=arguments.filter(),
                     tokens=with_tokens)


def _parse_everyone(args: list[str]) -> RevokeEveryone:
    """``revoke-all --everyone [--confirm <code>]``: nothing else goes with it, ``--yes`` least of all."""
    code: str | None = None
    tokens = iter(args)
    for token in tokens:
        option, equals, inline = _option_parts(token)
        if option == _EVERYONE and not equals:
            continue
        if option == _CONFIRM:
            value = inline if equals else next(tokens, "")
            if not value:
                raise TextProblem(ProblemKind.CONFIRM_NEEDS_CODE, option=_CONFIRM)
            if code is not None:
                raise TextProblem(ProblemKind.GIVEN_TWICE, option=_CONFIRM)
            if not _CODE.fullmatch(value):
                raise TextProblem(ProblemKind.NOT_A_CODE, value, _CONFIRM)
            code = value.upper()
        elif typed.keyword(token) in _YES_FLAGS:
            raise TextProblem(ProblemKind.EVERYONE_NOT_WITH_YES, token, _EVERYONE)
        else:
            raise TextProblem(ProblemKind.NOT_WITH_EVERYONE, token, _EVERYONE)
    return RevokeEveryone(code)


@dataclass
class _Arguments:
    """What follows a verb: users (one, or several when allowed), channels (when allowed), ``--yes``, and
    filter options, read in any order."""

    users: list[UserRef | None] = field(default_factory=list)
    channels: list[ChannelRef] = field(default_factory=list)
    confirmed: bool = False
    platforms: set[Platform] = field(default_factory=set)
    durations: dict[str, Duration] = field(default_factory=dict)

    @property
    def target(self) -> UserRef | None:
        """The one user named (None: the caller)."""
        return self.users[0] if self.users else None

    def filter(self) -> SessionFilter:
        """The filter the options read so far make (empty when none was given)."""
        return SessionFilter(frozenset(self.platforms), self.durations.get(_OLDER_THAN), self.durations.get(_INACTIVE))


def _arguments(args: list[str], *, yes_allowed: bool, filters_allowed: bool, many_allowed: bool = False) -> _Arguments:
    """Read users and channels (one user unless ``many_allowed``), ``--yes`` (when allowed) and filters
    (when allowed), in any order."""
    read = _Arguments()
    tokens = iter(args)
    for token in tokens:
        if token.startswith("~") and many_allowed:
            _add_channel(read, token)
            continue
        if not token.startswith("-"):
            if read.users and not many_allowed:
                raise TextProblem(ProblemKind.ONE_USER_AT_MOST, token)
            if len(read.users) == MAX_NAMED_USERS:
                raise TextProblem(ProblemKind.TOO_MANY_USERS, token)
            user = typed.user(token)
            if not any(_sameuser(user, known) for known in read.users):
                read.users.append(user)
            continue
        option, equals, inline = _option_parts(token)
        if filters_allowed and option in _FILTER_OPTIONS:
            _read_filter(read, option, inline if equals else next(tokens, ""))
        elif yes_allowed and typed.keyword(token) in _YES_FLAGS:
            read.confirmed = True
        else:
            raise _option_problem(token)
    return read


def _sameuser(one: UserRef | None, other: UserRef | None) -> bool:
    """True when two references name the same user the same way (``@bob`` and ``bob``)."""
    if one is None or other is None:
        return one is other
    return (one.kind, one.value) == (other.kind, other.value)


def _add_channel(read: _Arguments, token: str) -> None:
    """Add the channel ``~name`` names (a repeated one once)."""
    name = token[1:]
    if not (name.isascii() and _CHANNEL_NAME.fullmatch(name.lower())):
        raise TextProblem(ProblemKind.NOT_A_CHANNEL, token)
    channel = ChannelRef(name.lower(), token)
    if any(known.value == channel.value for known in read.channels):
        return
    if len(read.channels) == MAX_NAMED_CHANNELS:
        raise TextProblem(ProblemKind.TOO_MANY_CHANNELS, token)
    read.channels.append(channel)


def _read_filter(read: _Arguments, option: str, value: str) -> None:
    """Add the filter ``option value`` to what was read; platforms add up, a duration is given once."""
    if option == _PLATFORM:
        if not value:
            raise TextProblem(ProblemKind.PLATFORM_NEEDS_VALUE, option=option)
        read.platforms |= typed.platforms(value)
        return
    if not value:
        raise TextProblem(ProblemKind.NEEDS_DURATION, option=option)
    if option in read.durations:
        raise TextProblem(ProblemKind.GIVEN_TWICE, option=option)
    read.durations[option] = typed.duration(option, value)


def _option_parts(token: str) -> tuple[str | None, str, str]:
    """``--name=value`` split as (lowercase name, "=" or "", value); the name is None if it is not ASCII."""
    name, equals, value = token.partition("=")
    return typed.keyword(name), equals, value


def _option_problem(token: str) -> TextProblem:
    if typed.keyword(token) in _YES_FLAGS:
        return TextProblem(ProblemKind.YES_ONLY_FOR_REVOKING, token)
    option, equals, _value = _option_parts(token)
    if option in _FILTER_OPTIONS:
        return TextProblem(ProblemKind.FILTER_ONLY_FOR_LISTS, token, option)
    if option == _CONFIRM:
        return TextProblem(ProblemKind.CONFIRM_ONLY_FOR_EVERYONE, token, option)
    if option == _STALE:
        return TextProblem(ProblemKind.STALE_ONLY_FOR_LIST, token, option)
    if option in (_TOKENS, _EVERYONE) and not equals:
        return TextProblem(ProblemKind.ONLY_FOR_REVOKE_ALL, token, option)
    return TextProblem(ProblemKind.UNKNOWN_OPTION, token)
