"""``revoke-all --everyone``: Mattermost's "revoke all sessions for all users" (``POST /users/sessions/revoke/all``).

It signs every user out of every session, the caller's and the bot's own included, and removes all OAuth
access data (../shared/MATTERMOST.md §3.4). Personal access tokens and bot tokens stay valid: each one's next
use opens a new session, which is also why the bot keeps working afterwards (§3.3).

Only a caller holding ``manage_system`` gets anywhere: that is checked before anything else. It is confirmed by
typing a short code the preview shows, never by ``--yes`` or a button. The code is not stored: it is an HMAC of
the caller's id and the current 10-minute window under ``BOT_SECRET``, so any replica sharing the secret can
check it, a code shown to one admin does nothing for another, and a code stops working after 10 to 20
minutes (the current and the previous window are accepted).
"""
from __future__ import annotations

import hashlib
import hmac
import time
from typing import Callable

from bot.core.commands import RevokeEveryone
from bot.core.errors import Refused
from bot.core.outcomes import EveryonePreview, EveryoneSignedOut
from bot.core.permissions import MANAGE_SYSTEM, Refusal
from bot.features.context import Context, Who
from bot.features.single import Act, Done, Spec
from bot.mattermost.statuses import Call, meaning

CODE_WINDOW_S = 10 * 60
CODE_LENGTH = 6
#: 32 symbols, so each is 5 bits of the HMAC; no 0/O or 1/I to mistype.
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_PURPOSE = b"sessions-bot/revoke-everyone/v1"


def confirmation_code(secret: str, caller_id: str, window: int) -> str:
    """The code ``caller_id`` must type in time window ``window`` (seconds since the epoch // CODE_WINDOW_S)."""
    message = b"\0".join((_PURPOSE, caller_id.encode(), str(window).encode()))
    number = int.from_bytes(hmac.new(secret.encode(), message, hashlib.sha256).digest()[:8], "big")
    return "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in range(CODE_LENGTH))


class ConfirmationCodes:
    """Issues and checks the typed confirmation of ``revoke-all --everyone`` (stateless, see the module)."""

    def __init__(self, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("confirmation codes need a secret")
        self._secret = secret
        self._clock = clock

    def _window(self) -> int:
        return int(self._clock()) // CODE_WINDOW_S

    def current(self, caller_id: str) -> str:
        """The code to show ``caller_id`` now."""
        return confirmation_code(self._secret, caller_id, self._window())

    def accepts(self, caller_id: str, typed: str) -> bool:
        """True when ``typed`` (any case) is ``caller_id``'s code of this window or the previous one."""
        window = self._window()
        typed = typed.upper().encode()
        verdicts = [hmac.compare_digest(typed, confirmation_code(self._secret, caller_id, w).encode())
                    for w in (window, window - 1)]
        return any(verdicts)


def revoke_everyone(command: RevokeEveryone) -> tuple[Spec, Act]:
    """``revoke-all --everyone [--confirm <code>]``: refused for a caller without ``manage_system`` (before
    anything else) or a code that is wrong or too old; else the preview, or everyone signed out."""
    def act(ctx: Context, who: Who, now_ms: int) -> Done:
        caller = ctx.access.caller_of(who.caller_id)
        if MANAGE_SYSTEM not in caller.permissions:
            raise Refused(Refusal.NEEDS_MANAGE_SYSTEM, target=None)
        codes = ConfirmationCodes(ctx.secret, clock=ctx.clock)
        if command.code is None:
            return Done(EveryonePreview(codes.current(caller.id), CODE_WINDOW_S), "preview")
        if not codes.accepts(caller.id, command.code):
            raise Refused(Refusal.WRONG_CONFIRMATION_CODE, target=None)
        with meaning(Call.REVOKE_EVERYONE):
            ctx.api.revoke_everyones_sessions()
        return Done(EveryoneSignedOut())

    return Spec("revoke-everyone", changes=True, everyone=True), act
