"""Replies about a bulk sign-out (pure): the preview, progress while it runs, and what it did."""
from __future__ import annotations

from typing import Mapping, Sequence

from bot.core.commands import Cancel, RevokeMany
from bot.core.model import AccessToken
from bot.core.results import BulkPlan, Disabling, Progress, Skip, TargetResult
from bot.replies.errors import skip_reason
from bot.replies.filters import describe_filter
from bot.replies.markdown import code
from bot.replies.tokens import tokens_count
from bot.replies.values import Attachment, Button, Reply
from bot.replies.words import (
    TOKEN_NOTE,
    fit,
    mention,
    n_sessions,
    named_lines,
    options_text,
    sessions_count,
    users_count,
)


def _skipped_lines(skipped: Sequence[Skip]) -> list[str]:
    if not skipped:
        return []
    lines = [f"- {code(skip.name, 80)}: {skip_reason(skip.error)}" for skip in skipped]
    return [f"**Skipped {len(skipped)}:**", *named_lines(lines)]


def _bulk_command(command: RevokeMany) -> str:
    names = [ref.text for ref in command.users] + [ref.text for ref in command.channels]
    flags = options_text(command.filter, *(["--tokens"] if command.tokens else []), "--yes")
    return code(" ".join(["/sessions revoke-all", *names, flags]), 400)


def _and_tokens(count: int) -> str:
    return f" and disable {tokens_count(count)}" if count else ""


def bulk_preview(command: RevokeMany, plan: BulkPlan, tokens: Mapping[str, Sequence[AccessToken]] | None = None,
                 *, buttons: bool = False) -> Reply:
    """What a bulk ``revoke-all`` would do: how many users and sessions (and, with ``--tokens``, the active
    ``tokens`` by user id), who, who is skipped and why, and how to confirm. Confirmed with nothing to do, it
    says so."""
    only = "" if plan.filter.is_empty else f" ({describe_filter(plan.filter)})"
    if not plan.targets:
        lines = [f"Nothing to sign out{only}."] + _skipped_lines(plan.skipped)
        return Reply("\n".join(lines))
    tokens = tokens or {}
    disabling = sum(len(found) for found in tokens.values())
    head = (f"**This will sign {users_count(len(plan.targets))} out of {sessions_count(plan.sessions)}"
            f"{_and_tokens(disabling)}**{only}:")
    targets = [f"- {mention(t.user)}: {sessions_count(len(t.sessions))}"
               + (f", {tokens_count(len(tokens[t.user.id]))}" if tokens.get(t.user.id) else "") for t in plan.targets]
    tail = [""] + _skipped_lines(plan.skipped)
    if plan.untouched:
        tail.append(f"{users_count(plan.untouched)} with nothing {'the filter selects' if only else 'to sign out'} "
                    "will not be touched.")
    confirmation = RevokeMany(command.users, command.channels, True, command.filter, tokens=command.tokens)
    tail.append(f"Confirm below, or run {_bulk_command(command)}." if buttons else
                f"To go ahead, run {_bulk_command(command)}.")
    confirm = Button(f"Sign out {users_count(len(plan.targets))}", confirmation, "danger")
    attachments = (Attachment(buttons=(confirm, Button("Cancel", Cancel()))),) if buttons else ()
    return Reply(fit([head, *named_lines(targets)], tail), attachments)


def bulk_progress(progress: Progress) -> str:
    """How far a long bulk sign-out has come."""
    failed = f", {progress.failed} failed so far" if progress.failed else ""
    return f"⏳ Signing out: {progress.done} of {users_count(progress.total)} done{failed}…"


def bulk_done(plan: BulkPlan, results: Sequence[TargetResult], disabled: Mapping[str, Disabling] | None = None
              ) -> Reply:
    """What a bulk sign-out did, and nothing more: who was signed out of how many sessions, who was skipped,
    and whose sign-out failed (with why: those may still be signed in). ``disabled`` (by user id; None without
    ``--tokens``) says whose tokens were disabled, and whose could not all be."""
    done = [r for r in results if r.error is None]
    failed = [r for r in results if r.error is not None]
    only = "" if plan.filter.is_empty else f" ({describe_filter(plan.filter)})"
    sessions = sum(len(r.revoked) for r in done)
    tokens = sum(len(d.done) for d in (disabled or {}).values())
    lines = [f"✅ Signed {users_count(len(done))} out of {sessions_count(sessions)}{only}"
             + (f" and disabled {tokens_count(tokens)}." if tokens else ".")] if done else []
    if failed:
        lines += [f"**⚠️ Failed for {users_count(len(failed))}** (they may still be signed in; running the same "
                  "command again retries only what is left):"]
        lines += named_lines([f"- {mention(r.user)}: {skip_reason(r.error)}"
                               + (f" (after {sessions_count(len(r.revoked))})" if r.revoked else "")
                               for r in failed if r.error is not None])
    stuck = [(r.user, d) for r in done if (d := (disabled or {}).get(r.user.id)) and d.stopped_at is not None]
    if stuck:
        lines += [f"**⚠️ Tokens not all disabled for {users_count(len(stuck))}** (signed out, but those tokens may still "
                  "work; running the same command again disables only what is still active):"]
        lines += named_lines([f"- {mention(user)}: {skip_reason(d.stopped_at[1])}, "
                               f"{tokens_count(1 + len(d.untried))} may still work"
                               for user, d in stuck if d.stopped_at is not None])
    gone = [s for r in results for s in r.gone]
    if gone:
        lines.append(f"Already signed out meanwhile, so not by this command: {n_sessions(gone)}.")
    lines += _skipped_lines(plan.skipped)
    if disabled is None and any(s.is_token for r in done for s in r.revoked):
        lines.append(TOKEN_NOTE)
    return Reply("\n".join(lines))
