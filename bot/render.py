"""Every text the user sees, formatted as Mattermost Markdown (pure, no I/O).

Anything that came from outside the bot (device names, user-typed text) passes through ``_clean``
so it can neither break a table nor become a link; replies stay under Mattermost's post limit.
"""
from __future__ import annotations

from datetime import datetime, timezone

import humanize

from bot.commands import UserRef
from bot.errors import (
    AmbiguousSession,
    BotError,
    BotLacksPermission,
    BotTokenRejected,
    MattermostUnreachable,
    Refused,
    SessionAlreadyGone,
    SessionNotFound,
    TargetDeactivated,
    UpstreamMalformed,
    UpstreamRejected,
    UserNotFound,
)
from bot.markdown import code, inert
from bot.model import DeviceKind, Session, User, by_recent_activity, shown_ids
from bot.permissions import Refusal

#: Mattermost rejects posts over 16383 runes (§5); stay well below it.
MAX_MESSAGE_CHARS = 15000
#: How many sessions a reply lists before summarising the rest.
MAX_LISTED = 50
#: Expiry further away than this is shown as "never" (token sessions last 100 years, §3.1).
NEVER_MS = 10 * 365 * 24 * 3600 * 1000

_MARKERS = {
    DeviceKind.WEB: "🌐 Web browser",
    DeviceKind.DESKTOP: "🖥️ Desktop app",
    DeviceKind.MOBILE: "📱 Mobile app",
    DeviceKind.ACCESS_TOKEN: "🔑 Personal access token",
    DeviceKind.BOT_TOKEN: "🤖 Bot token",
    DeviceKind.OAUTH: "🔗 OAuth app",
}

TOKEN_NOTE = (
    "🔑 Signing out does not disable personal access tokens: each token's next use opens a new session. "
    "To cut a token off, disable or delete it (Profile → Security → Personal Access Tokens, "
    "or System Console → Users for admins)."
)
SELF_REVOKE_NOTE = "This includes the session you are typing in: you will have to sign in again here too."

USAGE = """**/sessions** shows where you are signed in to Mattermost and signs you out.
- `/sessions` or `/sessions list`: your sessions
- `/sessions revoke <ID>`: sign out of one session (the ID from the list; its first 6 characters are enough)
- `/sessions revoke-all`: sign out everywhere (you will be asked to confirm with `--yes`)
- `/sessions help`: this text

With Mattermost's **edit_other_users** permission you can name another user after the command, \
as @username, username, email address or user ID: `/sessions list @alice`, \
`/sessions revoke <ID> @alice`, `/sessions revoke-all @alice`. \
A system admin's sessions need **manage_system**."""


# --- small pieces -------------------------------------------------------------------------------

def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def _ago(ms: int, now_ms: int) -> str:
    return humanize.naturaltime(_when(ms), when=_when(now_ms)) if ms else "never"


def _expires(session: Session, now_ms: int) -> str:
    if not session.expires_ms or session.expires_ms - now_ms > NEVER_MS:
        return "never"
    if session.is_expired(now_ms):
        return "expired " + _ago(session.expires_ms, now_ms)
    return "in " + humanize.naturaldelta(_when(session.expires_ms) - _when(now_ms), months=False)


def _mention(user: User | None, *, capital: bool = False) -> str:
    return ("You" if capital else "you") if user is None else f"@{user.username}"


def _whose(user: User | None) -> str:
    return "Your" if user is None else f"@{user.username}'s"


def _ref(ref: UserRef) -> str:
    return code(ref.text, 64)


def _command(verb: str, subject: User | None, *args: str, flag: str = "") -> str:
    words = ["/sessions", verb, *args] + ([f"@{subject.username}"] if subject else []) + ([flag] if flag else [])
    return "`" + " ".join(words) + "`"


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


def _summary_line(session: Session, now_ms: int) -> str:
    return f"{describe(session)}, last active {_ago(session.last_activity_ms, now_ms)}"


def _fit(lines: list[str], tail: list[str]) -> str:
    """Join ``lines`` and ``tail``, dropping lines from the end of ``lines`` until it fits the post limit."""
    kept = list(lines)
    while kept and len("\n".join(kept + tail)) > MAX_MESSAGE_CHARS:
        kept.pop()
    return "\n".join(kept + tail)


def _more(hidden: int) -> list[str]:
    if hidden <= 0:
        return []
    return [f"…and {hidden} more, less recently active, not shown."]


# --- replies ------------------------------------------------------------------------------------

def usage(problem: str | None = None) -> str:
    """The help text, led by what was not understood when there is a problem."""
    return USAGE if problem is None else f"{problem}\n\n{USAGE}"


def session_list(subject: User | None, sessions: list[Session], now_ms: int) -> str:
    """The ``list`` reply: a table of sessions, most recently active first, with the IDs ``revoke`` takes."""
    if not sessions:
        return f"{_mention(subject, capital=True)} {'have' if subject is None else 'has'} no active sessions."
    ordered = by_recent_activity(sessions)
    shown = ordered[:MAX_LISTED]
    ids = shown_ids(sessions)
    header = [
        f"#### {_whose(subject)} sessions ({len(sessions)})",
        "| Device | Platform | OS | Browser | Signed in (UTC) | Last active | Expires | ID |",
        "|:--|:--|:--|:--|:--|:--|:--|:--|",
    ]
    rows = [
        "| {marker} | {platform} | {os} | {browser} | {signed} | {active} | {expires} | `{id}` |".format(
            marker=_MARKERS[s.kind],
            platform=inert(s.platform) or "–",
            os=inert(s.os) or "–",
            browser=inert(s.browser) or "–",
            signed=_when(s.created_ms).strftime("%Y-%m-%d") if s.created_ms else "–",
            active=_ago(s.last_activity_ms, now_ms),
            expires=_expires(s, now_ms),
            id=ids[s.id],
        )
        for s in shown
    ]
    tail = _more(len(ordered) - len(shown)) + [
        "",
        f"Sign one out with {_command('revoke', subject, '<ID>')}, or all of them with {_command('revoke-all', subject)}.",
    ]
    if any(s.is_token for s in sessions):
        tail.append(TOKEN_NOTE)
    return _fit(header + rows, tail)


def revoked_one(subject: User | None, session: Session, now_ms: int) -> str:
    """Confirmation that one session was signed out."""
    who = "" if subject is None else f"@{subject.username} "
    lines = [f"✅ Signed {who}out of {_summary_line(session, now_ms)}."]
    if session.is_token:
        lines.append(TOKEN_NOTE)
    return "\n".join(lines)


def _bullets(sessions: list[Session], now_ms: int) -> tuple[list[str], list[str]]:
    ordered = by_recent_activity(sessions)
    bullets = [f"- {_MARKERS[s.kind].split(' ')[0]} {_summary_line(s, now_ms)}" for s in ordered[:MAX_LISTED]]
    return bullets, _more(len(ordered) - MAX_LISTED)


def revoke_all_preview(subject: User | None, sessions: list[Session], now_ms: int) -> str:
    """What ``revoke-all`` would do, and how to confirm it."""
    if not sessions:
        return f"{_mention(subject, capital=True)} {'have' if subject is None else 'has'} no active sessions: nothing to sign out."
    bullets, more = _bullets(sessions, now_ms)
    tail = more + [""]
    if subject is None:
        tail.append(SELF_REVOKE_NOTE)
    if any(s.is_token for s in sessions):
        tail.append(TOKEN_NOTE)
    tail.append(f"To go ahead, run {_command('revoke-all', subject, flag='--yes')}.")
    head = [f"**This will sign {_mention(subject)} out of {_count(sessions)}:**"]
    return _fit(head + bullets, tail)


def revoked_all(subject: User | None, sessions: list[Session], now_ms: int) -> str:
    """Confirmation that every session was signed out."""
    bullets, more = _bullets(sessions, now_ms)
    tail = more + ([TOKEN_NOTE] if any(s.is_token for s in sessions) else [])
    return _fit([f"✅ Signed {_mention(subject)} out of {_count(sessions)}:"] + bullets, tail)


def _count(sessions: list[Session]) -> str:
    return f"{len(sessions)} session{'' if len(sessions) == 1 else 's'}"


# --- everything that ends a command early, in one place -----------------------------------------

_NOTHING_CHANGED = "Nothing was changed."
_CHECK_FIRST = "If you were signing something out, run `/sessions list` to see whether it went through before trying again."


def _refusal(error: Refused) -> str:
    target = f"@{error.target.username}" if error.target else (_ref(error.ref) if error.ref else "that user")
    match error.reason:
        case Refusal.NEEDS_EDIT_OTHER_USERS:
            return (
                f"🚫 You can only manage your own sessions: managing another user's sessions ({target}) needs "
                f"Mattermost's **edit_other_users** permission, which your account doesn't have. {_NOTHING_CHANGED}"
            )
        case Refusal.TARGET_IS_SYSTEM_ADMIN:
            return (
                f"🚫 {target} is a system admin. Managing a system admin's sessions needs Mattermost's "
                f"**manage_system** permission, which your account doesn't have. {_NOTHING_CHANGED}"
            )
        case Refusal.TARGET_IS_THIS_BOT:
            return f"🚫 {target} is this bot's own account, and the bot never signs itself out. {_NOTHING_CHANGED}"


def error_message(error: BotError) -> str:
    """The text shown to the user for any ``BotError``."""
    match error:
        case Refused():
            return _refusal(error)
        case UserNotFound(ref=ref):
            how = {"email": "with the email address", "id": "with the ID or username"}.get(ref.kind, "named")
            return f"I couldn't find a user {how} {_ref(ref)}. {_NOTHING_CHANGED}"
        case TargetDeactivated(target=target):
            return (
                f"@{target.username} is deactivated. Deactivated accounts have no sessions: Mattermost signed "
                f"them out everywhere when the account was deactivated. {_NOTHING_CHANGED}"
            )
        case SessionNotFound(prefix=prefix, target=target):
            return (
                f"No session of {'yours' if target is None else '@' + target.username} has an ID starting with "
                f"`{prefix}`. See the IDs with {_command('list', target)}. {_NOTHING_CHANGED}"
            )
        case AmbiguousSession(prefix=prefix, matches=matches):
            lines = [f"`{prefix}` matches {len(matches)} sessions, so nothing was signed out:"]
            lines += [f"- `{s.id}`: {describe(s)}" for s in by_recent_activity(matches)[:MAX_LISTED]]
            lines.append("Type more characters of the ID to pick one.")
            return "\n".join(lines)
        case SessionAlreadyGone(session=session):
            return f"That session ({describe(session)}) was already signed out."
        case MattermostUnreachable(detail=detail):
            return f"⚠️ The sessions bot couldn't reach Mattermost: {detail}. {_CHECK_FIRST}"
        case BotTokenRejected():
            return (
                "⚠️ Mattermost rejected the sessions bot's access token (it may have been revoked, or the bot "
                f"account deactivated). Please tell your Mattermost admin. {_NOTHING_CHANGED}"
            )
        case BotLacksPermission(target=target):
            whose = "this user's" if target is None else f"@{target.username}'s"
            return (
                f"⚠️ Mattermost refused to let the sessions bot manage {whose} sessions: the bot account lacks "
                "permission (it needs edit_other_users, and manage_system for system admins). Please tell your "
                f"Mattermost admin. {_NOTHING_CHANGED}"
            )
        case UpstreamRejected(status=status, error_id=error_id):
            detail = f"HTTP {status}" + (f", {code(error_id, 80)}" if error_id else "")
            return f"⚠️ Mattermost answered with an unexpected error ({detail}). {_CHECK_FIRST}"
        case UpstreamMalformed(detail=detail):
            return f"⚠️ Mattermost's answer was not what the sessions bot expected ({detail}). {_CHECK_FIRST}"
    return f"⚠️ Something went wrong in the sessions bot. {_CHECK_FIRST}"


def internal_error(reference: str) -> str:
    """The reply when the bot itself failed unexpectedly; ``reference`` finds the log line."""
    return f"⚠️ Something went wrong in the sessions bot (reference {code(reference)}). {_CHECK_FIRST}"
