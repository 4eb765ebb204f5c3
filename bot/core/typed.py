"""What one typed word names (pure): a user, a session id, platforms, a duration; and the parser's way of
stopping at the first thing not understood (:class:`TextProblem`)."""
from __future__ import annotations

import re

from bot.core.commands import MIN_SESSION_PREFIX, Problem, ProblemKind, UserRef
from bot.core.filters import Duration, DurationError, Platform
from bot.core.text import has_hidden

_CALLER = frozenset({"me", "@me"})
_PLATFORM = "--platform"
_SESSION_CHARS = re.compile(r"[A-Za-z0-9]+")
_MAX_SESSION_LENGTH = 26
_USER_ID = re.compile(r"[A-Za-z0-9]{26}")
#: Mattermost's own username rule (``server/public/model/user.go``: ``IsValidUsernameAllowRemote``, with
#: ``UserNameMinLength`` 1, ``UserNameMaxLength`` 64, ``validUsernameCharsForRemote``, the colon being for users
#: of shared channels' remote servers, and ``restrictedUsernames``).
_USERNAME = re.compile(r"[a-z0-9._:-]{1,64}")
_RESTRICTED_USERNAMES = frozenset({"all", "channel", "matterbot", "system"})
#: Names a URL path cannot carry: ``.`` and ``..`` are dot segments, which requests removes before sending
#: (RFC 3986 §5.2.4; ``@..`` would go out as ``GET /api/v4/users/``) and Mattermost's router cleans away.
_DOT_SEGMENTS = frozenset({".", ".."})
#: ``UserEmailMaxLength`` (``server/public/model/user.go``): no account has a longer address.
_MAX_EMAIL_LENGTH = 128
_DURATION = re.compile(r"(-?)([0-9]+)([A-Za-z]*)")
_MAX_DURATION_DIGITS = 12  # longer amounts are over the limit in any unit (and too long for int())


class TextProblem(Exception):
    """Raised inside the parser to stop at the first thing not understood."""

    def __init__(self, kind: ProblemKind, token: str = "", option: str = "") -> None:
        super().__init__(kind.value)
        self.problem = Problem(kind, token, option)


def platforms(value: str) -> set[Platform]:
    """The platforms a comma-separated list names, e.g. ``mobile,desktop`` (any case)."""
    found = set()
    for word in value.split(","):
        try:
            found.add(Platform(keyword(word) or ""))
        except ValueError:
            raise TextProblem(ProblemKind.NOT_A_PLATFORM, word or value, _PLATFORM) from None
    return found


_DURATION_PROBLEMS = {"not_positive": ProblemKind.DURATION_NOT_POSITIVE, "too_long": ProblemKind.DURATION_TOO_LONG,
                      "unit": ProblemKind.NOT_A_DURATION}


def duration(option: str, value: str) -> Duration:
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
        raise TextProblem(_DURATION_PROBLEMS[error.reason], value, option) from None


def session_id(token: str) -> str:
    """Return the normalised session id or prefix that ``token`` names."""
    if not _SESSION_CHARS.fullmatch(token) or len(token) > _MAX_SESSION_LENGTH:
        raise TextProblem(ProblemKind.NOT_A_SESSION_ID, token)
    if len(token) < MIN_SESSION_PREFIX:
        raise TextProblem(ProblemKind.SESSION_ID_TOO_SHORT, token)
    return token.lower()


def user(token: str) -> UserRef | None:
    """Return who ``token`` names (None for the caller)."""
    if keyword(token) in _CALLER:
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
    raise TextProblem(ProblemKind.NOT_A_USER, token)


def _is_username(name: str) -> bool:
    # ASCII first: str.lower() maps some non-ASCII look-alikes (the Kelvin sign) to ASCII.
    if not name.isascii():
        return False
    name = name.lower()
    return (_USERNAME.fullmatch(name) is not None and name not in _RESTRICTED_USERNAMES
            and name not in _DOT_SEGMENTS)


def _is_email(value: str) -> bool:
    # Tokens come from str.split(), so they never contain whitespace.
    local, _, domain = value.partition("@")
    return (
        bool(local and domain)
        and "@" not in domain
        and len(value) <= _MAX_EMAIL_LENGTH
        and not has_hidden(value)
    )


def keyword(token: str) -> str | None:
    """Lowercase ``token`` for comparing with verbs and flags; None if it is not ASCII."""
    return token.lower() if token.isascii() else None
