"""Parse the text of a ``/sessions`` slash command into a command value (pure, no I/O)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.markdown import code, has_hidden


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
class ListSessions:
    """List a user's sessions (``target`` None means the caller)."""

    target: UserRef | None


@dataclass(frozen=True)
class RevokeSession:
    """Revoke one session, named by a full id or a prefix of at least 6 characters."""

    session: str
    target: UserRef | None


@dataclass(frozen=True)
class RevokeAll:
    """Revoke every session of a user; only acts when ``confirmed`` (``--yes``)."""

    target: UserRef | None
    confirmed: bool


@dataclass(frozen=True)
class Help:
    """Show usage; ``problem`` says what was not understood (None for plain ``help``)."""

    problem: str | None = None


@dataclass(frozen=True)
class Cancel:
    """Dismiss a confirmation; only ever comes from a button, never from typed text."""


Command = ListSessions | RevokeSession | RevokeAll | Help | Cancel


class _Problem(Exception):
    """Raised inside the parser to stop at the first thing not understood."""


_HELP_VERBS = frozenset({"help", "-h", "--help"})
_LIST_VERBS = frozenset({"list", "ls"})
_REVOKE_ALL_VERBS = frozenset({"revoke-all", "logout-everywhere"})
_YES_FLAGS = frozenset({"--yes", "-y"})
_CALLER = frozenset({"me", "@me"})

_SESSION_CHARS = re.compile(r"[A-Za-z0-9]+")
_MIN_SESSION_LENGTH = 6
_MAX_SESSION_LENGTH = 26
_USER_ID = re.compile(r"[A-Za-z0-9]{26}")
_USERNAME = re.compile(r"[a-z0-9._:-]{1,64}")
_MAX_EMAIL_LENGTH = 254



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
    except _Problem as problem:
        return Help(problem=str(problem))
    return Help(problem=f"I don't know the command {code(verb)}.")


def _parse_list(args: list[str]) -> ListSessions:
    target, _ = _user_and_flags(args, yes_allowed=False)
    return ListSessions(target=target)


def _parse_revoke(args: list[str]) -> RevokeSession:
    if not args:
        raise _Problem("`revoke` needs a session id: copy one from `/sessions list`.")
    head, rest = args[0], args[1:]
    if head.startswith("-"):
        raise _option_problem(head)
    session = _session(head)
    target, _ = _user_and_flags(rest, yes_allowed=False)
    return RevokeSession(session=session, target=target)


def _parse_revoke_all(args: list[str]) -> RevokeAll:
    target, confirmed = _user_and_flags(args, yes_allowed=True)
    return RevokeAll(target=target, confirmed=confirmed)


def _user_and_flags(args: list[str], *, yes_allowed: bool) -> tuple[UserRef | None, bool]:
    """Read at most one user and any flags, in any order; return (target, --yes seen)."""
    target: UserRef | None = None
    seen_user = False
    confirmed = False
    for token in args:
        if token.startswith("-"):
            if not (yes_allowed and _keyword(token) in _YES_FLAGS):
                raise _option_problem(token)
            confirmed = True
        elif seen_user:
            raise _Problem(f"Name one user at most: {code(token)} is one too many.")
        else:
            target, seen_user = _user(token), True
    return target, confirmed


def _option_problem(token: str) -> _Problem:
    if _keyword(token) in _YES_FLAGS:
        return _Problem("`--yes` only applies to `revoke-all`.")
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
