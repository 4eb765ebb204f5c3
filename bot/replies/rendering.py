"""The one entry point of the replies layer: a view (what a command did, ``bot.core.outcomes``) in, the reply
the caller sees out. Whether the reply has buttons is the edge's decision (``buttons``)."""
from __future__ import annotations

from typing import Any, Callable

from bot.core.outcomes import (
    BulkDone,
    BulkPreview,
    Cancelled,
    DisableTokensPreview,
    EveryonePreview,
    EveryoneSignedOut,
    EverythingPreview,
    EverythingSignedOut,
    Failed,
    FilteredList,
    FilteredPreview,
    RevokeAllPreview,
    SessionList,
    SignedOutAll,
    SignedOutOne,
    SignedOutSelection,
    StaleList,
    TokenList,
    TokensDisabled,
    Usage,
    View,
)
from bot.replies import bulk, errors, everyone, sessions, stale, tokens
from bot.replies.usage import usage
from bot.replies.values import Reply

Renderer = Callable[[Any, int, bool], Reply]

#: Each kind of view, and how it reads (``now_ms``: the moment the command ran; ``buttons``: whether to offer them).
RENDERERS: dict[type, Renderer] = {
    SessionList: lambda v, now, b: sessions.session_list(v.subject, list(v.sessions), now, buttons=b),
    FilteredList: lambda v, now, b: sessions.filtered_list(v.subject, v.selection, now, buttons=b),
    SignedOutOne: lambda v, now, b: sessions.revoked_one(v.subject, v.session, list(v.remaining), now, buttons=b),
    RevokeAllPreview: lambda v, now, b: sessions.revoke_all_preview(v.subject, list(v.sessions), now, buttons=b),
    SignedOutAll: lambda v, now, b: sessions.revoked_all(v.subject, list(v.sessions), now),
    FilteredPreview: lambda v, now, b: sessions.filtered_preview(v.subject, v.selection, now, buttons=b),
    SignedOutSelection: lambda v, now, b: sessions.revoked_selection(v.subject, v.selection, v.revocation, now),
    TokenList: lambda v, now, b: tokens.token_list(v.subject, v.tokens, v.last_used, now),
    DisableTokensPreview: lambda v, now, b: tokens.disable_tokens_preview(v.subject, v.tokens, buttons=b),
    TokensDisabled: lambda v, now, b: tokens.tokens_disabled(v.subject, v.disabling),
    EverythingPreview: lambda v, now, b: tokens.everything_preview(v.subject, list(v.sessions), v.tokens, now, buttons=b),
    EverythingSignedOut: lambda v, now, b: tokens.everything_signed_out(v.subject, list(v.sessions), v.disabling, now),
    EveryonePreview: lambda v, now, b: everyone.everyone_preview(v.code, v.window_s),
    EveryoneSignedOut: lambda v, now, b: everyone.everyone_signed_out(),
    StaleList: lambda v, now, b: stale.stale_list(v.report, now),
    BulkPreview: lambda v, now, b: bulk.bulk_preview(v.command, v.plan, v.tokens, buttons=b),
    BulkDone: lambda v, now, b: bulk.bulk_done(v.plan, list(v.results), v.disabled),
    Usage: lambda v, now, b: Reply(usage(v.problem)),
    Cancelled: lambda v, now, b: sessions.CANCELLED,
    Failed: lambda v, now, b: Reply(errors.error_message(v.error)),
}


def render(view: View, now_ms: int, *, buttons: bool = False) -> Reply:
    """The reply for ``view``, as things stood at ``now_ms``; with ``buttons`` where the reply offers them."""
    return RENDERERS[type(view)](view, now_ms, buttons)
