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

from bot.replies import render
from bot.core.errors import BotLacksPermission, Refused, UpstreamRejected
from bot.mattermost.client import MattermostAPI
from bot.core.permissions import MANAGE_SYSTEM, Caller, Refusal
from bot.replies.values import Reply

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


class EveryoneService:
    """``revoke-all --everyone [--confirm <code>]`` for one caller."""

    def __init__(self, api: MattermostAPI, codes: ConfirmationCodes) -> None:
        self._api = api
        self._codes = codes

    def run(self, caller: Caller, typed: str | None) -> tuple[Reply, bool]:
        """The reply, and whether everyone was signed out; raises ``Refused`` for a caller without
        ``manage_system`` (before anything else) or a code that is wrong or too old."""
        if MANAGE_SYSTEM not in caller.permissions:
            raise Refused(Refusal.NEEDS_MANAGE_SYSTEM, target=None)
        if typed is None:
            return render.everyone_preview(self._codes.current(caller.id), CODE_WINDOW_S), False
        if not self._codes.accepts(caller.id, typed):
            raise Refused(Refusal.WRONG_CONFIRMATION_CODE, target=None)
        try:
            self._api.revoke_everyones_sessions()
        except UpstreamRejected as exc:
            if exc.status == 403:
                raise BotLacksPermission(None, doing="revoke_everyone") from None
            raise
        return render.everyone_signed_out(), True
