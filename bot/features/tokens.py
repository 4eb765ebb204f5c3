"""Personal access tokens: ``tokens [@user]`` lists them, ``disable-tokens [@user] [--yes]`` disables them, and
``revoke-all --tokens`` (one user or many) disables them along with the sessions.

Signing a token's session out leaves the token valid: its next use opens a new session
(../shared/MATTERMOST.md §3.3). Disabling it cuts it off (and ends its session) until someone enables it
again. The caller must pass Mattermost's own token rule (:func:`bot.core.permissions.token_refusal`) before the
bot reads or changes anything with its own token. A token's value never reaches the bot: Mattermost lists
tokens without it, and :class:`bot.core.model.AccessToken` has no field for it.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Mapping, Protocol

from bot.replies import render
from bot.core.audit import Disabling, Result
from bot.features.bulk import CONCURRENCY, patiently
from bot.core.commands import DisableTokens, ListTokens, UserRef
from bot.core.errors import BotError, BotLacksPermission, UpstreamRejected
from bot.mattermost.client import MattermostAPI
from bot.core.model import AccessToken, Session, User
from bot.core.permissions import Action, Caller, TokenAction, refusal_for
from bot.replies.values import Reply


class TokenTrace(Protocol):
    """What a token command records for its audit line (``bot.features.sessions``'s trace)."""

    target: User | None
    resolved: bool
    result: Result
    reason: str
    disabled: tuple[AccessToken, ...]


class Subjects(Protocol):
    """The single-target permission flow (``bot.features.sessions.SessionsService``)."""

    def checked(self, caller_id: str, ref: UserRef | None, action: Action | None,
                tokens: TokenAction | None) -> tuple[Caller | None, User | None]:
        """The caller and the target they may act on (None: themselves); raises when they may not."""
        ...

    def sessions_of(self, caller_id: str, subject: User | None) -> list[Session]: ...


def active(tokens: Iterable[AccessToken]) -> tuple[AccessToken, ...]:
    """The tokens that still work (disabled ones are left alone)."""
    return tuple(token for token in tokens if token.is_active)


def last_used(tokens: Iterable[AccessToken], sessions: Iterable[Session]) -> dict[str, int]:
    """When each token was last used, as far as the owner's sessions tell: the last activity of the session
    its use opened (Mattermost records no other time; a token without a session is missing here)."""
    wanted = {token.id for token in tokens}
    used: dict[str, int] = {}
    for session in sessions:
        if session.access_token_id in wanted:
            used[session.access_token_id] = max(used.get(session.access_token_id, 0), session.last_activity_ms)
    return used


def disable_each(api: MattermostAPI, tokens: Iterable[AccessToken], owner: User | None,
                 *, sleep: Callable[[float], None] = time.sleep) -> Disabling:
    """Disable ``tokens`` one by one (waiting out Mattermost's rate limit); one deleted meanwhile (404) is
    skipped, any other failure stops the run."""
    todo = tuple(tokens)
    done: list[AccessToken] = []
    gone: list[AccessToken] = []
    for i, token in enumerate(todo):
        try:
            patiently(lambda: api.disable_access_token(token.id), sleep=sleep)
        except UpstreamRejected as exc:
            if exc.status == 404:
                gone.append(token)
                continue
            error: BotError = exc
            if exc.status == 403:
                error = BotLacksPermission(owner, doing="disable_tokens")
            return Disabling(tuple(done), tuple(gone), (token, error), todo[i + 1:])
        except BotError as error:
            return Disabling(tuple(done), tuple(gone), (token, error), todo[i + 1:])
        done.append(token)
    return Disabling(tuple(done), tuple(gone))


def disable_all(api: MattermostAPI, owners: Mapping[str, tuple[User, tuple[AccessToken, ...]]],
                *, concurrency: int = CONCURRENCY, sleep: Callable[[float], None] = time.sleep) -> dict[str, Disabling]:
    """Disable the tokens of many users (by user id), ``concurrency`` users at a time."""
    def one(item: tuple[str, tuple[User, tuple[AccessToken, ...]]]) -> tuple[str, Disabling]:
        user_id, (owner, tokens) = item
        return user_id, disable_each(api, tokens, owner, sleep=sleep)

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="tokens") as pool:
        return dict(pool.map(one, owners.items()))


def read_tokens(api: MattermostAPI, user_id: str, owner: User | None) -> list[AccessToken]:
    """The user's personal access tokens (403: the bot itself may not read them)."""
    try:
        return api.access_tokens(user_id)
    except UpstreamRejected as exc:
        if exc.status == 403:
            raise BotLacksPermission(owner, doing="read_tokens") from None
        raise


class TokensService:
    """``tokens`` and ``disable-tokens`` for one caller."""

    def __init__(self, api: MattermostAPI, subjects: Subjects, *, buttons: bool = False,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self._api = api
        self._subjects = subjects
        self._buttons = buttons
        self._clock = clock
        self._sleep = sleep

    def run(self, caller_id: str, command: ListTokens | DisableTokens, trace: TokenTrace) -> Reply:
        """List or disable the tokens ``command`` names; raises a BotError when it may not or cannot."""
        if isinstance(command, ListTokens):
            return self._list(caller_id, command.target, trace)
        return self._disable(caller_id, command, trace)

    def _checked(self, caller_id: str, ref: UserRef | None, action: TokenAction,
                 trace: TokenTrace) -> tuple[Caller | None, User | None]:
        """The permission flow for ``action`` on the target's tokens, the target remembered in the trace."""
        caller, subject = self._subjects.checked(caller_id, ref, None, action)
        trace.target, trace.resolved = subject, True
        return caller, subject

    def _list(self, caller_id: str, ref: UserRef | None, trace: TokenTrace) -> Reply:
        caller, subject = self._checked(caller_id, ref, TokenAction.LIST, trace)
        tokens = read_tokens(self._api, caller_id if subject is None else subject.id, subject)
        # "Last used" comes from the owner's sessions: shown only to a caller who may see those too.
        sees_sessions = subject is None or (caller is not None and refusal_for(caller, subject, Action.LIST, None) is None)
        used = last_used(tokens, self._subjects.sessions_of(caller_id, subject)) if tokens and sees_sessions else None
        return render.token_list(subject, tokens, used, int(self._clock() * 1000))

    def _disable(self, caller_id: str, command: DisableTokens, trace: TokenTrace) -> Reply:
        _caller, subject = self._checked(caller_id, command.target, TokenAction.DISABLE, trace)
        tokens = active(read_tokens(self._api, caller_id if subject is None else subject.id, subject))
        if not command.confirmed or not tokens:
            trace.result = "ok" if command.confirmed else "preview"
            return render.disable_tokens_preview(subject, tokens, buttons=self._buttons)
        disabling = disable_each(self._api, tokens, subject, sleep=self._sleep)
        trace.disabled = disabling.disabled
        if disabling.stopped_at is not None:
            trace.result, trace.reason = "failed", type(disabling.stopped_at[1]).__name__
        return render.tokens_disabled(subject, disabling)
