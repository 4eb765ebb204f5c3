"""What the bot tells others (pure): the direct message a user gets when someone else signed them out, and the audit
channel's line.
"""
from __future__ import annotations

from bot.core.audit import EVERYONE, TEAM, AuditEvent, Notice
from bot.replies.filters import describe_filter
from bot.replies.markdown import code, inert
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
    """The short human-readable line posted to the audit channel. It never notifies anyone: every name in it (the
    actor's, the target's, whatever the caller typed) is inline code, which Mattermost's mention parser never
    reads (the server's ``getExplicitMentions`` passes only Markdown text nodes to it; a code span is none), and
    ``code`` drops backticks, so no name can close its span early and put ``@here`` or a name in the text."""
    sessions = f", {len(event.session_ids)} session(s)" if event.session_ids else ""
    sessions += f", {len(event.token_ids)} token(s) disabled" if event.token_ids else ""
    reason = f" ({inert(event.reason, 80)})" if event.reason else ""
    only = "" if event.filter.is_empty else f" · only {describe_filter(event.filter)}"
    return (
        f"🔐 {_quiet(event.actor_username)} · {event.action} · {_audited_target(event.target_username)} · "
        f"**{event.result}**{reason}{sessions}{only} · via {event.via}"
    )


def _audited_target(name: str) -> str:
    if name == EVERYONE:
        return "everyone"
    if name == TEAM:
        return "the team"
    return _quiet(name, 300) if name else "(nobody)"


def _quiet(name: str, limit: int = 64) -> str:
    """A user's name as ``@name`` (what the caller typed as typed: ``~channel``, an address) in inline code, which
    reads as the name in the webapp and on mobile but mentions nobody."""
    return code(name if name.startswith("~") or "@" in name else f"@{name}", limit)
