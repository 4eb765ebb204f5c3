"""Small pieces every reply is made of (pure): times, names and mentions, counts, commands to copy, a session
described, and fitting a reply under Mattermost's post limit.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

import humanize

from bot.core.commands import UserRef
from bot.core.filters import SessionFilter
from bot.core.model import DeviceKind, Session, User, by_recent_activity
from bot.replies.markdown import code, inert

#: Mattermost rejects posts over 16383 runes (§5); stay well below it.
MAX_MESSAGE_CHARS = 15000


#: How many sessions a reply lists before summarising the rest.
MAX_LISTED = 50


#: Expiry further away than this is shown as "never" (token sessions last 100 years, §3.1).
NEVER_MS = 10 * 365 * 24 * 3600 * 1000


MARKERS = {
    DeviceKind.WEB: "🌐 Web browser",
    DeviceKind.DESKTOP: "🖥️ Desktop app",
    DeviceKind.MOBILE: "📱 Mobile app",
    DeviceKind.ACCESS_TOKEN: "🔑 Personal access token",
    DeviceKind.BOT_TOKEN: "🤖 Bot token",
    DeviceKind.OAUTH: "🔗 OAuth app",
}


TOKEN_NOTE = (
    "🔑 Signing out does not disable personal access tokens: each token's next use opens a new session. "
    "To cut a token off, disable it with `/sessions disable-tokens` (or `revoke-all --tokens`), or in "
    "Profile → Security → Personal Access Tokens (System Console → Users for admins)."
)


#: How a time Mattermost could never have sent (``None`` in ``bot.core.model``) reads.
UNKNOWN = "unknown"


def as_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def ago(ms: int | None, now_ms: int) -> str:
    if ms is None:
        return UNKNOWN
    return humanize.naturaltime(as_datetime(ms), when=as_datetime(now_ms)) if ms else "never"


def expiry(session: Session, now_ms: int) -> str:
    if session.expires_ms is None:
        return UNKNOWN
    if not session.expires_ms or session.expires_ms - now_ms > NEVER_MS:
        return "never"
    if session.is_expired(now_ms):
        return "expired " + ago(session.expires_ms, now_ms)
    return "in " + humanize.naturaldelta(as_datetime(session.expires_ms) - as_datetime(now_ms), months=False)


#: A name shown as a plain ``@mention``: what Mattermost allows in a username.
_PLAIN_USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


#: Mentions that notify a whole channel; Mattermost ends a mention's word at ``.``, ``-`` or ``:``.
_EVERYONE_MENTIONS = frozenset({"all", "channel", "here"})


def at_name(username: str) -> str:
    """``@username``; a name that is no plain username, or would notify a whole channel (``@here``), as inline
    code instead, which can neither link, format, split a line nor notify anyone."""
    word = re.split(r"[.:-]", username, maxsplit=1)[0].rstrip("_").lower()
    if _PLAIN_USERNAME.fullmatch(username) and word not in _EVERYONE_MENTIONS:
        return f"@{username}"
    return code(f"@{username}", 64)


def mention(user: User | None, *, capital: bool = False) -> str:
    return ("You" if capital else "you") if user is None else at_name(user.username)


def possessive(user: User | None) -> str:
    return "Your" if user is None else f"{at_name(user.username)}'s"


def typed_name(ref: UserRef) -> str:
    return code(ref.text, 64)


def command_code(verb: str, subject: User | None, *args: str, flag: str = "") -> str:
    words = ["/sessions", verb, *args] + ([f"@{subject.username}"] if subject else []) + ([flag] if flag else [])
    return code(" ".join(words), 200)


def describe(session: Session) -> str:
    """A short human name for a session, e.g. "Chrome on Mac OS" or "the mobile app on iOS"."""
    os_name = inert(session.os) or "an unknown system"
    match session.kind:
        case DeviceKind.WEB:
            browser = inert(session.browser.split("/")[0])
            return f"{browser if browser and browser != 'Unknown' else 'a web browser'} on {os_name}"
        case DeviceKind.DESKTOP:
            return f"the desktop app on {os_name}"
        case DeviceKind.MOBILE:
            return f"the mobile app on {inert(session.mobile_system) or 'a phone'}"
        case DeviceKind.ACCESS_TOKEN:
            return "a personal access token session"
        case DeviceKind.BOT_TOKEN:
            return "a bot token session"
        case DeviceKind.OAUTH:
            return f"the OAuth app {inert(session.platform) or '(unnamed)'}"


def summary_line(session: Session, now_ms: int) -> str:
    return f"{describe(session)}, last active {ago(session.last_activity_ms, now_ms)}"


def fit(lines: list[str], tail: list[str]) -> str:
    """Join ``lines`` and ``tail``, dropping lines from the end of ``lines`` until it fits the post limit."""
    kept = list(lines)
    while kept and len("\n".join(kept + tail)) > MAX_MESSAGE_CHARS:
        kept.pop()
    return "\n".join(kept + tail)


def more_lines(hidden: int) -> list[str]:
    if hidden <= 0:
        return []
    return [f"…and {hidden} more, less recently active, not shown."]


def subject_has(subject: User | None, *, capital: bool = False) -> str:
    return f"{mention(subject, capital=capital)} {'have' if subject is None else 'has'}"


def options_text(wanted: SessionFilter, *more: str) -> str:
    """The filter's options and any more flags, as typed after the user."""
    return " ".join(part for part in (wanted.options(), *more) if part)


def signed_in(session: Session) -> str:
    if session.created_ms is None:
        return UNKNOWN
    return as_datetime(session.created_ms).strftime("%Y-%m-%d") if session.created_ms else "–"


def button_target(subject: User | None) -> UserRef | None:
    """How a button names the target: by id, so a click never depends on a name that may change."""
    return None if subject is None else UserRef("id", subject.id, f"@{subject.username}")


def session_bullets(sessions: list[Session], now_ms: int) -> tuple[list[str], list[str]]:
    ordered = by_recent_activity(sessions)
    bullets = [f"- {MARKERS[s.kind].split(' ')[0]} {summary_line(s, now_ms)}" for s in ordered[:MAX_LISTED]]
    return bullets, more_lines(len(ordered) - MAX_LISTED)


def n_sessions(sessions: list[Session]) -> str:
    return f"{len(sessions)} session{'' if len(sessions) == 1 else 's'}"


#: Users listed by name in a bulk preview or result; the rest are counted.
MAX_NAMED = 20


def users_count(count: int) -> str:
    return f"{count} user{'' if count == 1 else 's'}"


def sessions_count(count: int) -> str:
    return f"{count} session{'' if count == 1 else 's'}"


def named_lines(lines: list[str]) -> list[str]:
    """At most :data:`MAX_NAMED` lines, then how many more there are."""
    return lines[:MAX_NAMED] + ([f"- …and {len(lines) - MAX_NAMED} more"] if len(lines) > MAX_NAMED else [])
