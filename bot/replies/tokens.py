"""Replies about personal access tokens (pure): the list, disabling them, and `revoke-all --tokens`."""
from __future__ import annotations

from typing import Mapping, Sequence

from bot.core.commands import Cancel, DisableTokens, RevokeAll
from bot.core.model import AccessToken, Session, User
from bot.core.results import Disabling
from bot.replies.errors import mattermost_trouble
from bot.replies.markdown import code
from bot.replies.sessions import SELF_REVOKE_NOTE
from bot.replies.values import Attachment, Button, Reply
from bot.replies.words import (
    MAX_LISTED,
    ago,
    at_name,
    button_target,
    command_code,
    fit,
    mention,
    n_sessions,
    possessive,
    session_bullets,
    sessions_count,
    subject_has,
)

RE_ENABLE_NOTE = (
    "A disabled token can be enabled again: Profile → Security → Personal Access Tokens, or System Console → "
    "User Management → Users → Manage Tokens for admins."
)


LAST_USED_NOTE = (
    "\"Last used\" is the last activity of the session the token's use opened; \"unknown\" means it has none now "
    "(not used since it was made, enabled or signed out). Mattermost does not record when a token was made."
)


def tokens_count(count: int, *, active: bool = False) -> str:
    """"1 personal access token", "2 active personal access tokens"."""
    return f"{count} {'active ' if active else ''}personal access token{'' if count == 1 else 's'}"


def whose_tokens(subject: User | None, count: int, *, active: bool = True) -> str:
    """"your 2 active personal access tokens", "@alice's 1 personal access token"."""
    whose = "your" if subject is None else f"{at_name(subject.username)}'s"
    return f"{whose} {tokens_count(count, active=active)}"


def _token_line(token: AccessToken, last_used: str | None, state: bool) -> str:
    shown = ("✅ active, " if token.is_active else "⏸️ disabled, ") if state else ""
    used = "" if last_used is None else f"last used {last_used}, "
    return f"- 🔑 {code(token.description, 60)}: {shown}{used}ID `{token.id}`"


def token_lines(tokens: Sequence[AccessToken], last_used: Mapping[str, str] | None = None, *,
                 state: bool = False) -> list[str]:
    """A line per token (the description, its state if ``state``, when last used if known, the ID), at most
    :data:`MAX_LISTED`. The description is the owner's text, shown as inline code."""
    lines = [_token_line(t, None if last_used is None else last_used[t.id], state) for t in tokens[:MAX_LISTED]]
    return lines + ([f"- …and {len(tokens) - MAX_LISTED} more"] if len(tokens) > MAX_LISTED else [])


def token_list(subject: User | None, tokens: Sequence[AccessToken], used: Mapping[str, int] | None,
               now_ms: int) -> Reply:
    """``tokens``: a user's personal access tokens, active ones first: description, active or disabled, when
    last used (``used`` by token id; None when the caller may not see the owner's sessions), and the ID.
    Never a token's value: the bot never has it."""
    if not tokens:
        return Reply(f"{subject_has(subject, capital=True)} no personal access tokens.")
    ordered = sorted(tokens, key=lambda t: not t.is_active)
    shown = None if used is None else {t.id: ago(used[t.id], now_ms) if t.id in used else "unknown" for t in tokens}
    lines = [f"#### {possessive(subject)} personal access tokens ({len(tokens)})", *token_lines(ordered, shown, state=True),
             ""]
    if used is None:
        lines.append(f"When they were last used is not shown: that comes from {mention(subject)}'s sessions, "
                     "which you may not see.")
    else:
        lines.append(LAST_USED_NOTE)
    if subject is not None and subject.deactivated:
        lines.append(f"{at_name(subject.username)} is deactivated: Mattermost refuses these tokens until the account is "
                     "reactivated.")
    live = sum(t.is_active for t in tokens)
    if live:
        lines.append(f"Disable the active ones with {command_code('disable-tokens', subject)}; "
                     f"sign out everywhere and disable them with {command_code('revoke-all', subject, flag='--tokens')}.")
    return Reply("\n".join(lines))


def disable_tokens_preview(subject: User | None, tokens: Sequence[AccessToken], *, buttons: bool = False) -> Reply:
    """What ``disable-tokens`` would do (the active tokens), and how to confirm (``--yes``, or a button)."""
    if not tokens:
        return Reply(f"{subject_has(subject, capital=True)} no active personal access tokens: nothing to disable.")
    head = f"**This will disable {whose_tokens(subject, len(tokens))}:**"
    command = command_code("disable-tokens", subject, flag="--yes")
    tail = ["", "Each one stops working at once, and its session ends. " + RE_ENABLE_NOTE,
            f"Confirm below, or run {command}." if buttons else f"To go ahead, run {command}."]
    confirm = Button(f"Disable {tokens_count(len(tokens))}", DisableTokens(button_target(subject), confirmed=True), "danger")
    attachments = (Attachment(buttons=(confirm, Button("Cancel", Cancel()))),) if buttons else ()
    return Reply(fit([head, *token_lines(tokens)], tail), attachments)


def _disabling_lines(subject: User | None, disabling: Disabling) -> list[str]:
    """What disabling tokens did: those disabled, those deleted meanwhile, and where it stopped, if it did."""
    lines: list[str] = []
    if disabling.done:
        lines += [f"🔑 Disabled {whose_tokens(subject, len(disabling.done), active=False)}:",
                  *token_lines(disabling.done)]
    if disabling.gone:
        lines.append(f"Already deleted meanwhile: {tokens_count(len(disabling.gone))}.")
    if disabling.stopped_at is not None:
        token, error = disabling.stopped_at
        lines.append(f"⚠️ Stopped at {code(token.description, 60)}, which may still work. {mattermost_trouble(error)}")
        if disabling.untried:
            lines += [f"Not tried, so still active ({tokens_count(len(disabling.untried))}):",
                      *token_lines(disabling.untried)]
        lines.append(f"See what still works with {command_code('tokens', subject)}; running the same command again "
                     "disables only what is still active.")
    return lines


def tokens_disabled(subject: User | None, disabling: Disabling) -> Reply:
    """What ``disable-tokens`` did, and nothing more."""
    lines = _disabling_lines(subject, disabling)
    if not disabling.done and disabling.stopped_at is None:
        lines.insert(0, "Nothing left to disable.")
    return Reply(fit(lines, ["", RE_ENABLE_NOTE] if disabling.done else []))


def _everything(subject: User | None, sessions: int, tokens: int) -> str:
    """"sign @alice out of 3 sessions and disable 2 active personal access tokens"."""
    if not sessions:
        return f"disable {whose_tokens(subject, tokens)}"
    signing_out = f"sign {mention(subject)} out of {sessions_count(sessions)}"
    return signing_out + (f" and disable {tokens_count(tokens, active=True)}" if tokens else "")


def everything_preview(subject: User | None, sessions: list[Session], tokens: Sequence[AccessToken], now_ms: int,
                       *, buttons: bool = False) -> Reply:
    """What ``revoke-all --tokens`` would do: every session and every active token, and how to confirm."""
    if not sessions and not tokens:
        return Reply(f"{subject_has(subject, capital=True)} no active sessions and no active personal access tokens: "
                     "nothing to sign out.")
    bullets, more = session_bullets(sessions, now_ms)
    lines = [f"**This will {_everything(subject, len(sessions), len(tokens))}:**"]
    lines += (["Sessions:", *bullets, *more] if sessions else []) + (["Tokens:", *token_lines(tokens)] if tokens else [])
    command = command_code("revoke-all", subject, flag="--tokens --yes")
    tail = [""] + ([SELF_REVOKE_NOTE] if subject is None and sessions else []) + [
        "Each token stops working at once. " + RE_ENABLE_NOTE,
        f"Confirm below, or run {command}." if buttons else f"To go ahead, run {command}."]
    confirm = Button("Sign out and disable tokens", RevokeAll(button_target(subject), confirmed=True, tokens=True), "danger")
    attachments = (Attachment(buttons=(confirm, Button("Cancel", Cancel()))),) if buttons else ()
    return Reply(fit(lines, tail), attachments)


def everything_signed_out(subject: User | None, sessions: list[Session], disabling: Disabling, now_ms: int) -> Reply:
    """What ``revoke-all --tokens`` did: the sessions signed out, then the tokens disabled (or where it stopped)."""
    if sessions:
        bullets, more = session_bullets(sessions, now_ms)
        head = [f"✅ Signed {mention(subject)} out of {n_sessions(sessions)}:", *bullets, *more]
    else:
        head = [f"✅ {subject_has(subject, capital=True)} no sessions left."]
    tail = _disabling_lines(subject, disabling)
    if not disabling.done and disabling.stopped_at is None:
        tail.append("No active personal access tokens were left to disable.")
    return Reply(fit(head, [""] + tail + ([RE_ENABLE_NOTE] if disabling.done else [])))
