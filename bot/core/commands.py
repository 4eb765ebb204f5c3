"""Parse the text of a ``/sessions`` slash command into a command value (pure, no I/O)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.core.filters import Duration, DurationError, Platform, SessionFilter
from bot.replies.markdown import code, has_hidden


@dataclass(frozen=True)
class UserRef:
    """A user named by the caller.

    ``kind`` is how they were named: ``username`` (``@alice`` or ``alice``), ``email``
    (``alice@example.com``) or ``id`` (a bare 26-character id-shaped word, which may
    also be a username: the service falls back to a username lookup).
    ``value`` is normalised (lowercase, no leading ``@``); ``text`` is as typed.
    """

    kind: Literal["username", "email", "id"]
    value: str
    text: str


@dataclass(frozen=True)
class ChannelRef:
    """A channel named by the caller as ``~name`` (in the team the command was typed in); a name that is
    also 26 letters or digits may be a channel id, which the service tries next. ``value`` is lowercase,
    ``text`` as typed."""

    value: str
    text: str


@dataclass(frozen=True)
class ListSessions:
    """List a user's sessions (``target`` None means the caller), only those ``filter`` selects."""

    target: UserRef | None
    filter: SessionFilter = field(default_factory=SessionFilter)


@dataclass(frozen=True)
class RevokeSession:
    """Revoke one session, named by a full id or a prefix of at least 6 characters."""

    session: str
    target: UserRef | None


@dataclass(frozen=True)
class RevokeAll:
    """Revoke every session of a user that ``filter`` selects; only acts when ``confirmed`` (``--yes``).
    ``tokens`` (``--tokens``, never with a filter) also disables the user's personal access tokens."""

    target: UserRef | None
    confirmed: bool
    filter: SessionFilter = field(default_factory=SessionFilter)
    tokens: bool = False


@dataclass(frozen=True)
class RevokeMany:
    """Sign several users out at once: ``users`` and every member of ``channels``, each only as far as the
    caller may act on them, only the sessions ``filter`` selects; only acts when ``confirmed``."""

    users: tuple[UserRef, ...]
    channels: tuple[ChannelRef, ...]
    confirmed: bool
    filter: SessionFilter = field(default_factory=SessionFilter)
    tokens: bool = False


@dataclass(frozen=True)
class ListTokens:
    """List a user's personal access tokens (``target`` None means the caller), never their values."""

    target: UserRef | None


@dataclass(frozen=True)
class DisableTokens:
    """Disable every active personal access token of a user; only acts when ``confirmed`` (``--yes``)."""

    target: UserRef | None
    confirmed: bool


@dataclass(frozen=True)
class RevokeEveryone:
    """Sign every user out of every session (``revoke-all --everyone``); only acts with the typed ``code``
    the preview showed (``--confirm <code>``), never with ``--yes`` or a button."""

    code: str | None = None


@dataclass(frozen=True)
class ListStale:
    """List the members of the caller's team whose sessions include some inactive for longer than ``inactive``."""

    inactive: Duration = field(default_factory=lambda: Duration(30, "d"))


@dataclass(frozen=True)
class Help:
    """Show usage; ``problem`` says what was not understood (None for plain ``help``)."""

    problem: str | None = None


@dataclass(frozen=True)
class Cancel:
    """Dismiss a confirmation; only ever comes from a button, never from typed text."""


Command = (ListSessions | ListStale | RevokeSession | RevokeAll | RevokeMany | ListTokens | DisableTokens | RevokeEveryone | Help
           | Cancel)


class _Problem(Exception):
    """Raised inside the parser to stop at the first thing not understood."""


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
_PLATFORM_NAMES = ", ".join(p.value for p in list(Platform)[:-1]) + f" or {list(Platform)[-1].value}"
_UNITS = "m (minutes), h (hours), d (days) or w (weeks)"

_SESSION_CHARS = re.compile(r"[A-Za-z0-9]+")
_MIN_SESSION_LENGTH = 6
_MAX_SESSION_LENGTH = 26
_USER_ID = re.compile(r"[A-Za-z0-9]{26}")
_USERNAME = re.compile(r"[a-z0-9._:-]{1,64}")
_CHANNEL_NAME = re.compile(r"[a-z0-9_-]{1,64}")  # model.IsValidChannelIdentifier, lowercased
#: The most users and channels one bulk command may name (channels are expanded to their members).
MAX_NAMED_USERS = 50
MAX_NAMED_CHANNELS = 5
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
        return Help(problem=str(problem))
    return Help(problem=f"I don't know the command {code(verb)}.")


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
        raise _Problem(f"`{_STALE}` looks at your whole team: it takes a duration (e.g. `30d`), nothing else.")
    return ListStale(_duration(_STALE, value)) if value else ListStale()


def _parse_revoke(args: list[str]) -> RevokeSession:
    if not args:
        raise _Problem("`revoke` needs a session id: copy one from `/sessions list`.")
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
        raise _Problem("`--tokens` disables every token, so it cannot be combined with a filter: "
                       "run the filtered `revoke-all` and `disable-tokens` separately.")
    if len(arguments.users) > 1 or arguments.channels:
        if None in arguments.users:
            raise _Problem("`me` cannot be part of a bulk sign-out: sign yourself out with `revoke-all --yes`.")
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
                raise _Problem("`--confirm` needs the code that `/sessions revoke-all --everyone` showed you.")
            if typed is not None:
                raise _Problem("`--confirm` can only be given once.")
            if not _CODE.fullmatch(value):
                raise _Problem(f"{code(value)} is not a confirmation code: copy the one "
                               "`/sessions revoke-all --everyone` showed you.")
            typed = value.upper()
        elif _keyword(token) in _YES_FLAGS:
            raise _Problem("`--everyone` is never confirmed with `--yes`: run `/sessions revoke-all --everyone` "
                           "and type the code it shows with `--confirm`.")
        else:
            raise _Problem(f"{code(token)} cannot go with `--everyone`, which signs out every user: "
                           "write `/sessions revoke-all --everyone` alone.")
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
                raise _Problem(f"Name one user at most: {code(token)} is one too many.")
            if len(read.users) == MAX_NAMED_USERS:
                raise _Problem(f"Name at most {MAX_NAMED_USERS} users in one command (or use a ~channel).")
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
        raise _Problem(f"{code(token)} is not a channel: write `~` and the channel's name as in its URL.")
    channel = ChannelRef(name.lower(), token)
    if any(known.value == channel.value for known in read.channels):
        return
    if len(read.channels) == MAX_NAMED_CHANNELS:
        raise _Problem(f"Name at most {MAX_NAMED_CHANNELS} channels in one command.")
    read.channels.append(channel)


def _read_filter(read: _Arguments, option: str, value: str) -> None:
    """Add the filter ``option value`` to what was read; platforms add up, a duration is given once."""
    if option == _PLATFORM:
        if not value:
            raise _Problem(f"`{_PLATFORM}` needs a platform: {_PLATFORM_NAMES}.")
        read.platforms |= _platforms(value)
        return
    if not value:
        raise _Problem(f"`{option}` needs a duration, such as `30d`.")
    if option in read.durations:
        raise _Problem(f"`{option}` can only be given once.")
    read.durations[option] = _duration(option, value)


def _platforms(value: str) -> set[Platform]:
    """The platforms a comma-separated list names, e.g. ``mobile,desktop`` (any case)."""
    found = set()
    for word in value.split(","):
        try:
            found.add(Platform(_keyword(word) or ""))
        except ValueError:
            raise _Problem(
                f"{code(word or value)} is not a platform: use {_PLATFORM_NAMES} (several separated by commas)."
            ) from None
    return found


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
        raise _Problem(_duration_problem(option, value, error)) from None


def _duration_problem(option: str, value: str, error: DurationError) -> str:
    if error.reason == "not_positive":
        return f"`{option}` needs a duration above zero, not {code(value)}."
    if error.reason == "too_long":
        return f"{code(value)} is too long for `{option}`: the longest is 10 years (`3650d`)."
    return f"{code(value)} is not a duration: write a whole number and a unit, {_UNITS}, e.g. `30d`."


def _option_parts(token: str) -> tuple[str | None, str, str]:
    """``--name=value`` split as (lowercase name, "=" or "", value); the name is None if it is not ASCII."""
    name, equals, value = token.partition("=")
    return _keyword(name), equals, value


def _option_problem(token: str) -> _Problem:
    if _keyword(token) in _YES_FLAGS:
        return _Problem("`--yes` only applies to `revoke-all` and `disable-tokens`.")
    option, equals, _value = _option_parts(token)
    if option in _FILTER_OPTIONS:
        return _Problem(f"`{option}` only applies to `list` and `revoke-all`.")
    if option == _CONFIRM:
        return _Problem("`--confirm` only applies to `revoke-all --everyone`.")
    if option == _STALE:
        return _Problem("`--stale` only applies to `list`.")
    if option in (_TOKENS, _EVERYONE) and not equals:
        return _Problem(f"`{option}` only applies to `revoke-all`.")
    return _Problem(f"I don't know the option {code(token)}.")


def _session(token: str) -> str:
    """Return the normalised session id or prefix that ``token`` names."""
    if not _SESSION_CHARS.fullmatch(token) or len(token) > _MAX_SESSION_LENGTH:
        raise _Problem(f"{code(token)} is not a session id: copy one from `/sessions list`.")
    if len(token) < _MIN_SESSION_LENGTH:
        raise _Problem(
            f"{code(token)} is too short: session ids need at least "
            f"{_MIN_SESSION_LENGTH} characters. Copy the id from `/sessions list`."
        )
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
    raise _Problem(f"{code(token)} is not a username, email address or user id.")


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
