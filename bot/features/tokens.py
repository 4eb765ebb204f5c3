"""Personal access tokens: ``tokens [@user]`` lists them, ``disable-tokens [@user] [--yes]`` disables them, and
``revoke-all [@user] --tokens`` signs every session out and then disables every active token.

Signing a token's session out leaves the token valid: its next use opens a new session
(../shared/MATTERMOST.md §3.3). Disabling it cuts it off (and ends its session) until someone enables it
again. The caller must pass Mattermost's own token rule (``bot.core.permissions.token_refusal``) before the
bot reads or changes anything with its own token. A token's value never reaches the bot: Mattermost lists
tokens without it, and ``bot.core.model.AccessToken`` has no field for it.
"""
from __future__ import annotations

from typing import Iterable

from bot.core.commands import DisableTokens, ListTokens, RevokeAll
from bot.core.errors import TokenAlreadyGone, TokenStillActive
from bot.core.model import AccessToken, Session
from bot.core.outcomes import (
    DisableTokensPreview,
    EverythingPreview,
    EverythingSignedOut,
    TokenList,
    TokensDisabled,
)
from bot.core.permissions import Action, TokenAction, refusal_for
from bot.core.results import Disabling
from bot.features.context import Context, Who, read_sessions, sign_out_everywhere
from bot.features.single import Act, Done, Spec
from bot.features.stepwise import one_by_one
from bot.mattermost.statuses import Call, meaning


def active(tokens: Iterable[AccessToken]) -> tuple[AccessToken, ...]:
    """The tokens that still work (disabled ones are left alone)."""
    return tuple(token for token in tokens if token.is_active)


def last_used(tokens: Iterable[AccessToken], sessions: Iterable[Session]) -> dict[str, int]:
    """When each token was last used, as far as the owner's sessions tell: the last activity of the session
    its use opened (Mattermost records no other time; a token without a session, or whose session's time is
    unknown, is missing here)."""
    wanted = {token.id for token in tokens}
    used: dict[str, int] = {}
    for session in sessions:
        if session.access_token_id in wanted and session.last_activity_ms is not None:
            used[session.access_token_id] = max(used.get(session.access_token_id, 0), session.last_activity_ms)
    return used


def read_tokens(ctx: Context, who: Who) -> list[AccessToken]:
    """The subject's personal access tokens (403: the bot itself may not read them)."""
    with meaning(Call.READ_TOKENS, subject=who.subject):
        return ctx.api.access_tokens(who.user_id)


def disable_tokens(ctx: Context, who: Who, tokens: Iterable[AccessToken]) -> Disabling:
    """Disable ``tokens`` one at a time: one deleted meanwhile is set aside, any other failure stops the run.
    Mattermost's 404 ("no such token") is checked by reading the tokens again: still active, it is
    ``TokenStillActive``, never taken for gone."""
    def disable(token: AccessToken) -> None:
        try:
            with meaning(Call.DISABLE_TOKEN, subject=who.subject, token=token):
                ctx.api.disable_access_token(token.id)
        except TokenAlreadyGone:
            if any(current.id == token.id and current.is_active for current in read_tokens(ctx, who)):
                raise TokenStillActive(token) from None
            raise

    return one_by_one(tokens, disable, sleep=ctx.sleep)


def list_tokens(command: ListTokens) -> tuple[Spec, Act]:
    """``tokens [@user]``; "last used" only for a caller who may also see the owner's sessions."""
    def act(ctx: Context, who: Who, now_ms: int) -> Done:
        tokens = read_tokens(ctx, who)
        subject, caller = who.subject, who.caller
        sees_sessions = subject is None or (caller is not None and refusal_for(caller, subject, Action.LIST, None) is None)
        used = last_used(tokens, read_sessions(ctx, who)) if tokens and sees_sessions else None
        return Done(TokenList(subject, tuple(tokens), used))

    return Spec("tokens", changes=False, ref=command.target, tokens=TokenAction.LIST), act


def disable_all_tokens(command: DisableTokens) -> tuple[Spec, Act]:
    """``disable-tokens [@user] [--yes]``: a preview, or every active token disabled."""
    def act(ctx: Context, who: Who, now_ms: int) -> Done:
        tokens = active(read_tokens(ctx, who))
        if not command.confirmed or not tokens:
            return Done(DisableTokensPreview(who.subject, tokens), "ok" if command.confirmed else "preview")
        disabling = disable_tokens(ctx, who, tokens)
        return Done(TokensDisabled(who.subject, disabling), *_ended(disabling), disabled=disabling.done)

    return Spec("disable-tokens", changes=command.confirmed, ref=command.target, tokens=TokenAction.DISABLE), act


def sign_out_everything(command: RevokeAll) -> tuple[Spec, Act]:
    """``revoke-all [@user] --tokens [--yes]``: preview every session and active token, or sign every session
    out and then disable every token (its next use would otherwise open a new session)."""
    def act(ctx: Context, who: Who, now_ms: int) -> Done:
        sessions = tuple(read_sessions(ctx, who))
        tokens = active(read_tokens(ctx, who))
        if not command.confirmed or not (sessions or tokens):
            return Done(EverythingPreview(who.subject, sessions, tokens), "ok" if command.confirmed else "preview")
        sign_out_everywhere(ctx, who)
        disabling = disable_tokens(ctx, who, tokens)
        return Done(EverythingSignedOut(who.subject, sessions, disabling), *_ended(disabling), revoked=sessions,
                    disabled=disabling.done)

    return Spec("revoke-all", changes=command.confirmed, ref=command.target, sessions=Action.REVOKE,
                tokens=TokenAction.DISABLE), act


def _ended(disabling: Disabling) -> tuple[str, str]:
    """``failed`` with the error's name when disabling stopped at a failure, else ``ok``."""
    if disabling.stopped_at is None:
        return "ok", ""
    return "failed", type(disabling.stopped_at[1]).__name__
