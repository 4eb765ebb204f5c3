"""What the bot tells others (pure): the direct message a user gets when someone else signed them out, and the audit
channel's line.
"""
from __future__ import annotations

from bot.core.audit import EVERYONE, AuditEvent, Notice
from bot.replies.filters import describe_filter
from bot.replies.markdown import inert
from bot.replies.tokens import RE_ENABLE_NOTE, token_lines, whose_tokens
from bot.replies.words import (
    TOKEN_NOTE,
    as_datetime,
    at_name,
    n_sessions,
    session_bullets,
)


def target_notice(notice: Notice, now_ms: int) -> str:
    """The direct message a user gets when someone else signed them out or disabled their tokens."""
    when = as_datetime(notice.at_ms).strftime("%Y-%m-%d at %H:%M UTC")
    actor = at_name(notice.actor_username)
    if not notice.sessions:
        lines = [f"🔐 {actor} disabled {whose_tokens(None, len(notice.tokens), active=False)} on {when}:",
                 *token_lines(notice.tokens), ""]
        lines.append("They no longer work. If you did not expect this, tell your Mattermost admin right away. "
                     + RE_ENABLE_NOTE)
        return "\n".join(lines)
    what = f"all {n_sessions(list(notice.sessions))}" if notice.everywhere else n_sessions(list(notice.sessions))
    bullets, more = session_bullets(list(notice.sessions), now_ms)
    lines = [f"🔐 {actor} signed you out of {what} on {when}:", *bullets, *more, ""]
    if notice.tokens:
        lines += [f"{actor} also disabled {whose_tokens(None, len(notice.tokens), active=False)}, so they no "
                  "longer work:", *token_lines(notice.tokens), ""]
    lines.append(
        "You will need to sign in again on those devices. If you did not expect this, tell your Mattermost "
        "admin right away and change your password."
    )
    if notice.tokens:
        lines.append(RE_ENABLE_NOTE)
    elif any(s.is_token for s in notice.sessions):
        lines.append(TOKEN_NOTE)
    return "\n".join(lines)


def audit_line(event: AuditEvent) -> str:
    """The short human-readable line posted to the audit channel."""
    name = event.target_username
    if name == EVERYONE:
        target = "everyone"
    else:
        target = inert(name, 300) if name.startswith(("@", "~")) else at_name(name) if name else "(nobody)"
    sessions = f", {len(event.session_ids)} session(s)" if event.session_ids else ""
    sessions += f", {len(event.token_ids)} token(s) disabled" if event.token_ids else ""
    reason = f" ({inert(event.reason, 80)})" if event.reason else ""
    only = "" if event.filter.is_empty else f" · only {describe_filter(event.filter)}"
    return (
        f"🔐 {at_name(event.actor_username)} · {event.action} · {target} · "
        f"**{event.result}**{reason}{sessions}{only} · via {event.via}"
    )
