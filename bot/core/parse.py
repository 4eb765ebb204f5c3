"""Parse the text of a ``/sessions`` slash command into a command value (pure, no I/O).

Total: any text yields a command. Text that is not understood yields ``Help(problem)``, the first
problem found reading left to right, as facts (``bot.core.commands.Problem``); ``bot.replies.usage``
says it in words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.commands import (
    MAX_NAMED_CHANNELS,
    MAX_NAMED_USERS,
    MIN_SESSION_PREFIX,
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
from bot.core.filters import Duration, DurationError, Platform, SessionFilter
from bot.core.text import has_hidden


class _Problem(Exception):
    """Raised inside the parser to stop at the first thing not understood."""

    def __init__(self, kind: ProblemKind, token: str = "", option: str = "") -> None:
        super().__init__(kind.value)
        self.problem = Problem(kind, token, option)


_HELP_VERBS = frozenset({"help", "-h", "--help"})
_LIST_VERBS = frozenset({"list", "ls"})
_REVOKE_ALL_VERBS = frozenset({"revoke-all", "logout-everywhere"})
_TOKENS_VERBS = frozenset({"tokens"})
_DISABLE_TOKENS_VERBS = frozenset({"disable-tokens"})
_YES_FLAGS = frozenset({"--yes", "-y"})
_TOKENS, _EVERYONE, _CONFIRM = "--tokens", "--everyone", "--confirm"
_STALE = "--stale"
_CODE = re.compile(r"[A-Za-z0-9]{1,32}")
_CALLER = frozenset({"me", "@me"})
_PLATFORM, _OLDER_THAN, _INACTIVE = "--platform", "--older-than", "--inactive"
_FILTER_OPTIONS = frozenset({_PLATFORM, _OLDER_THAN, _INACTIVE})

_SESSION_CHARS = re.compile(r"[A-Za-z0-9]+")
_MAX_SESSION_LENGTH = 26
_USER_ID = re.compile(r"[A-Za-z0-9]{26}")
_USERNAME = re.compile(r"[a-z0-9._:-]{1,64}")
_CHANNEL_NAME = re.compile(r"[a-z0-9_-]{1,64}")  # model.IsValidChannelIdentifier, lowercased
_MAX_EMAIL_LENGTH = 254
_DURATION = re.compile(r"(-?)([0-9]+)([A-Za-z]*)")
_MAX_DURATION_DIGITS = 12  # longer amounts are over the limit in any unit (and too long for int())


def parse(text: str) -> Command:
    """Parse the slash command's `text` (everything after `/sessions`) into a command.

    Pure and total: any string yields a command. Input that is not understood yields
    ``Help(problem=...)`` describing the first problem found, reading left to right.
    """
    tokens = text.split()
    if not tokens:
        return ListSessions(target=None)
    verb, args = tokens[0], tokens[1:]
    keyword = _keyword(verb)
    try:
        if keyword in _HELP_VERBS:
            return Help()
        if keyword in _LIST_VERBS:
            return _parse_list(args)
        if keyword == "revoke" and args and _keyword(args[0]) == "all":
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
    except _Problem as problem:
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
        raise _Problem(ProblemKind.STALE_TAKES_A_DURATION, option=_STALE)
    return ListStale(_duration(_STALE, value)) if value else ListStale()


def _parse_revoke(args: list[str]) -> RevokeSession:
    if not args:
        raise _Problem(ProblemKind.REVOKE_NEEDS_ID)
    head, rest = args[0], args[1:]
    if head.startswith("-"):
        raise _option_problem(head)
    session = _session(head)
    arguments = _arguments(rest, yes_allowed=False, filters_allowed=False)
    return RevokeSession(session=session, target=arguments.target)


def _parse_revoke_all(args: list[str]) -> RevokeAll | RevokeMany | RevokeEveryone:
    if any(_keyword(token) == _EVERYONE for token in args):
        return _parse_everyone(args)
    with_tokens = any(_keyword(token) == _TOKENS for token in args)
    rest = [token for token in args if _keyword(token) != _TOKENS]
    arguments = _arguments(rest, yes_allowed=True, filters_allowed=True, many_allowed=True)
    if with_tokens and not arguments.filter().is_empty:
        raise _Problem(ProblemKind.TOKENS_WITH_A_FILTER, option=_TOKENS)
    if len(arguments.users) > 1 or arguments.channels:
        if None in arguments.users:
            raise _Problem(ProblemKind.ME_IN_BULK)
        return RevokeMany(tuple(u for u in arguments.users if u is not None), tuple(arguments.channels),
                          arguments.confirmed, arguments.filter(), tokens=with_tokens)
    return RevokeAll(target=arguments.target, confirmed=arguments.confirmed, filter=arguments.filter(),
                     tokens=with_tokens)


def _parse_everyone(args: list[str]) -> RevokeEveryone:
    """``revoke-all --everyone [--confirm <code>]``: nothing else goes with it, ``--yes`` least of all."""
    typed: str | None = None
    tokens = iter(args)
    for token in tokens:
        option, equals, inline = _option_parts(token)
        if option == _EVERYONE and not equals:
            continue
        if option == _CONFIRM:
            value = inline if equals else next(tokens, "")
            if not value:
                raise _Problem(ProblemKind.CONFIRM_NEEDS_CODE, option=_CONFIRM)
            if typed is not None:
                raise _Problem(ProblemKind.GIVEN_TWICE, option=_CONFIRM)
            if not _CODE.fullmatch(value):
                raise _Problem(ProblemKind.NOT_A_CODE, value, _CONFIRM)
            typed = value.upper()
        elif _keyword(token) in _YES_FLAGS:
            raise _Problem(ProblemKind.EVERYONE_NOT_WITH_YES, token, _EVERYONE)
        else:
            raise _Problem(ProblemKind.NOT_WITH_EVERYONE, token, _EVERYONE)
    return RevokeEveryone(typed)


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
                raise _Problem(ProblemKind.ONE_USER_AT_MOST, token)
            if len(read.users) == MAX_NAMED_USERS:
                raise _Problem(ProblemKind.TOO_MANY_USERS, token)
            user = _user(token)
            if not any(_same_user(user, known) for known in read.users):
                read.users.append(user)
            continue
        option, equals, inline = _option_parts(token)
        if filters_allowed and option in _FILTER_OPTIONS:
            _read_filter(read, option, inline if equals else next(tokens, ""))
        elif yes_allowed and _keyword(token) in _YES_FLAGS:
            read.confirmed = True
        else:
            raise _option_problem(token)
    return read


def _same_user(one: UserRef | None, other: UserRef | None) -> bool:
    """True when two references name the same user the same way (``@bob`` and ``bob``)."""
    if one is None or other is None:
        return one is other
    return (one.kind, one.value) == (other.kind, other.value)


def _add_channel(read: _Arguments, token: str) -> None:
    """Add the channel ``~name`` names (a repeated one once)."""
    name = token[1:]
    if not (name.isascii() and _CHANNEL_NAME.fullmatch(name.lower())):
        raise _Problem(ProblemKind.NOT_A_CHANNEL, token)
    channel = ChannelRef(name.lower(), token)
    if any(known.value == channel.value for known in read.channels):
        return
    if len(read.channels) == MAX_NAMED_CHANNELS:
        raise _Problem(ProblemKind.TOO_MANY_CHANNELS, token)
    read.channels.append(channel)


def _read_filter(read: _Arguments, option: str, value: str) -> None:
    """Add the filter ``option value`` to what was read; platforms add up, a duration is given once."""
    if option == _PLATFORM:
        if not value:
            raise _Problem(ProblemKind.PLATFORM_NEEDS_VALUE, option=option)
        read.platforms |= _platforms(value)
        return
    if not value:
        raise _Problem(ProblemKind.NEEDS_DURATION, option=option)
    if option in read.durations:
        raise _Problem(ProblemKind.GIVEN_TWICE, option=option)
    read.durations[option] = _duration(option, value)


def _platforms(value: str) -> set[Platform]:
    """The platforms a comma-separated list names, e.g. ``mobile,desktop`` (any case)."""
    found = set()
    for word in value.split(","):
        try:
            found.add(Platform(_keyword(word) or ""))
        except ValueError:
            raise _Problem(ProblemKind.NOT_A_PLATFORM, word or value, _PLATFORM) from None
    return found


_DURATION_PROBLEMS = {"not_positive": ProblemKind.DURATION_NOT_POSITIVE, "too_long": ProblemKind.DURATION_TOO_LONG,
                      "unit": ProblemKind.NOT_A_DURATION}


def _duration(option: str, value: str) -> Duration:
    """The duration ``value`` gives ``option``: a whole number and a unit, e.g. ``90m``, ``12h``, ``30d``, ``2w``."""
    shape = _DURATION.fullmatch(value)
    try:
        if shape is None:
            raise DurationError("unit")
        sign, digits, unit = shape.groups()
        if len(digits.lstrip("0")) > _MAX_DURATION_DIGITS:
            raise DurationError("not_positive" if sign else "too_long")
        return Duration(int(sign + digits), unit)
    except DurationError as error:
        raise _Problem(_DURATION_PROBLEMS[error.reason], value, option) from None


def _option_parts(token: str) -> tuple[str | None, str, str]:
    """``--name=value`` split as (lowercase name, "=" or "", value); the name is None if it is not ASCII."""
    name, equals, value = token.partition("=")
    return _keyword(name), equals, value


def _option_problem(token: str) -> _Problem:
    if _keyword(token) in _YES_FLAGS:
        return _Problem(ProblemKind.YES_ONLY_FOR_REVOKING, token)
    option, equals, _value = _option_parts(token)
    if option in _FILTER_OPTIONS:
        return _Problem(ProblemKind.FILTER_ONLY_FOR_LISTS, token, option)
    if option == _CONFIRM:
        return _Problem(ProblemKind.CONFIRM_ONLY_FOR_EVERYONE, token, option)
    if option == _STALE:
        return _Problem(ProblemKind.STALE_ONLY_FOR_LIST, token, option)
    if option in (_TOKENS, _EVERYONE) and not equals:
        return _Problem(ProblemKind.ONLY_FOR_REVOKE_ALL, token, option)
    return _Problem(ProblemKind.UNKNOWN_OPTION, token)


def _session(token: str) -> str:
    """Return the normalised session id or prefix that ``token`` names."""
    if not _SESSION_CHARS.fullmatch(token) or len(token) > _MAX_SESSION_LENGTH:
        raise _Problem(ProblemKind.NOT_A_SESSION_ID, token)
    if len(token) < MIN_SESSION_PREFIX:
        raise _Problem(ProblemKind.SESSION_ID_TOO_SHORT, token)
    return token.lower()


def _user(token: str) -> UserRef | None:
    """Return who ``token`` names (None for the caller)."""
    if _keyword(token) in _CALLER:
        return None
    if token.startswith("@"):
        if _is_username(token[1:]):
            return UserRef("username", token[1:].lower(), token)
    elif "@" in token:
        if _is_email(token.lower()):
            return UserRef("email", token.lower(), token)
    elif _USER_ID.fullmatch(token):
        return UserRef("id", token.lower(), token)
    elif _is_username(token):
        return UserRef("username", token.lower(), token)
    raise _Problem(ProblemKind.NOT_A_USER, token)


def _is_username(name: str) -> bool:
    # ASCII first: str.lower() maps some non-ASCII look-alikes (the Kelvin sign) to ASCII.
    return name.isascii() and _USERNAME.fullmatch(name.lower()) is not None


def _is_email(value: str) -> bool:
    # Tokens come from str.split(), so they never contain whitespace.
    local, _, domain = value.partition("@")
    return (
        bool(local and domain)
        and "@" not in domain
        and len(value) <= _MAX_EMAIL_LENGTH
        and not has_hidden(value)
    )


def _keyword(token: str) -> str | None:
    """Lowercase ``token`` for comparing with verbs and flags; None if it is not ASCII."""
    return token.lower() if token.isascii() else None
