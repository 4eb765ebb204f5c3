"""Personal access tokens (and bot tokens) of a :class:`~bot.sandbox.world.World`.

A mixin: the world owns the lock, the id sequence, the users and the sessions, and calls
:meth:`AccessTokens._init_access_tokens` from its constructor. Methods raise
:class:`~bot.sandbox.wire.AppError` for what Mattermost's app layer refuses, so the REST handlers
only pass errors on.

Sources: MM ``server/channels/app/session.go`` @27810859 (``CreateUserAccessToken``,
``createSessionForUserAccessToken``, ``RevokeUserAccessToken``, ``DisableUserAccessToken``,
``EnableUserAccessToken``, ``GetUserAccessToken``, ``GetUserAccessTokensForUser``), ``server/public/model/
user_access_token.go`` (the five JSON fields, ``IsValid``, ``PreSave``) and the SQL store, whose
``Delete`` and ``UpdateTokenDisable`` remove every session whose token is the access token's value.
A token record is stored as ``model.UserAccessToken``: ``id``, ``token`` (the secret), ``user_id``,
``description``, ``is_active``, in that order. Mattermost records no creation or last-use time for
a token; "last used" is the ``last_activity_at`` of the session its first use created.
"""
from __future__ import annotations

import random
import threading
from typing import Any

from .ids import new_id
from .records import copied
from .wire import AppError

Record = dict[str, Any]

HOUR_MS = 3_600_000
ACCESS_TOKEN_SESSION_LENGTH_MS = 100 * 365 * 24 * HOUR_MS  # SessionUserAccessTokenExpiryHours
SESSION_TYPE_ACCESS_TOKEN = "UserAccessToken"
DESCRIPTION_MAX_BYTES = 255  # UserAccessToken.IsValid: len(Description) > 255, in bytes


class AccessTokens:
    """Personal access tokens: creation, listing, use, revocation, disabling (mixed into ``World``)."""

    _lock: threading.RLock
    _rng: random.Random
    _users: dict[str, Record]
    _sessions: dict[str, Record]
    enable_user_access_tokens: bool

    def now_ms(self) -> int:  # pragma: no cover - provided by World
        raise NotImplementedError

    def _user_named(self, username: str) -> Record:  # pragma: no cover - provided by World
        raise NotImplementedError

    def _store_session(self, user: Record, **fields: Any) -> Record:  # pragma: no cover - provided by World
        raise NotImplementedError

    def _init_access_tokens(self) -> None:
        self._access_tokens: dict[str, Record] = {}  # token id -> UserAccessToken, oldest first

    def _user_ref(self, user: str) -> Record:
        """The stored user with this id, else with this username (``KeyError`` if neither)."""
        return self._users[user] if user in self._users else self._user_named(user)

    # -- test helpers --------------------------------------------------------------------

    def add_access_token(self, user: str, description: str = "sandbox token", *, active: bool = True,
                         last_used_ms: int | None = None) -> str:
        """Give a user (username or id) a personal access token and return its value (the secret).

        No permission or ``EnableUserAccessTokens`` check, as if an admin had made it. ``active=False``
        makes it disabled. ``last_used_ms`` also makes the session its first use creates, as of that
        time (``ValueError`` if that use would be refused, or for a disabled token: disabling ends the
        session). :meth:`access_tokens_of` gives the token records, ids included.
        """
        with self._lock:
            owner = self._user_ref(user)
            if last_used_ms is not None and not active:
                raise ValueError("a disabled token has no session: disabling revokes it")
            record = self._save_access_token(owner["id"], description)
            record["is_active"] = active
            if last_used_ms is not None:
                try:
                    self.use_access_token(record["token"], at_ms=last_used_ms)
                except ValueError:
                    del self._access_tokens[record["id"]]
                    raise
            return record["token"]

    def access_tokens_of(self, user: str) -> list[Record]:
        """The user's (username or id) token records, oldest first, secrets included (copies)."""
        with self._lock:
            user_id = self._user_ref(user)["id"]
            return copied([t for t in self._access_tokens.values() if t["user_id"] == user_id])

    def access_token_by_id(self, token_id: str) -> Record | None:
        """The token record with this id, secret included (a copy), or ``None``."""
        with self._lock:
            record = self._access_tokens.get(token_id)
            return copied(record) if record is not None else None

    def use_access_token(self, token: str, *, at_ms: int | None = None) -> Record:
        """Make the session a first use of an access token creates, as of ``at_ms`` (default now).

        ``ValueError`` when the token would be refused (unknown, inactive, deactivated owner,
        or access tokens disabled for a non-bot).
        """
        with self._lock:
            session = self._session_for_access_token(token, at_ms if at_ms is not None else self.now_ms())
            if session is None:
                raise ValueError("access token refused")
            return copied(session)

    def revoke_token(self, token: str) -> None:
        """Invalidate a token *value* for good: a personal access token is deleted with its sessions
        (``POST /users/tokens/revoke``); a session token's session is deleted. ``KeyError`` if unknown."""
        with self._lock:
            pats = [tid for tid, t in self._access_tokens.items() if t["token"] == token]
            sessions = [sid for sid, s in self._sessions.items() if s["token"] == token]
            if not pats and not sessions:
                raise KeyError("unknown token")
            for tid in pats:
                del self._access_tokens[tid]
            for sid in sessions:
                del self._sessions[sid]

    # -- what the server does --------------------------------------------------------------

    def create_access_token(self, user_id: str, description: str) -> Record:
        """``CreateUserAccessToken`` for an existing user: 501 ``app.user_access_token.disabled`` when
        ``EnableUserAccessTokens`` is off and the user is no bot; 400
        ``model.user_access_token.is_valid.description.app_error`` past 255 bytes (``IsValid`` in the
        store's ``Save``). Returns the stored record, secret included (the only time the API shows it)."""
        with self._lock:
            if not self.enable_user_access_tokens and not self._users[user_id]["is_bot"]:
                raise AppError("app.user_access_token.disabled", 501)
            if len(description.encode("utf-8")) > DESCRIPTION_MAX_BYTES:
                raise AppError("model.user_access_token.is_valid.description.app_error", 400)
            return copied(self._save_access_token(user_id, description))

    def _save_access_token(self, user_id: str, description: str) -> Record:
        record: Record = {"id": new_id(self._rng), "token": new_id(self._rng), "user_id": user_id,
                          "description": description, "is_active": True}
        self._access_tokens[record["id"]] = record
        return record

    def get_access_token(self, token_id: str) -> Record:
        """``GetUserAccessToken``: the record (a copy, secret included), or 404
        ``app.user_access_token.get_by_user.app_error`` (an empty id included)."""
        with self._lock:
            record = self._access_tokens.get(token_id)
            if record is None:
                raise AppError("app.user_access_token.get_by_user.app_error", 404)
            return copied(record)

    def access_tokens_page(self, user_id: str | None, page: int, per_page: int) -> list[Record]:
        """``GetUserAccessTokensForUser`` (or, with ``None``, ``GetUserAccessTokens``): one page, in the
        store's order (its query has no ``ORDER BY``; here: creation order). Copies, secrets included."""
        with self._lock:
            rows = [t for t in self._access_tokens.values() if user_id is None or t["user_id"] == user_id]
            return copied(rows[page * per_page:page * per_page + per_page])

    def revoke_access_token(self, token_id: str) -> None:
        """``RevokeUserAccessToken``: delete the token and every session using it (no-op if unknown)."""
        with self._lock:
            record = self._access_tokens.pop(token_id, None)
            if record is not None:
                self._drop_sessions_with_token(record["token"])

    def disable_access_token(self, token_id: str) -> None:
        """``DisableUserAccessToken``: ``is_active`` false and every session using it deleted; the token
        then authenticates nothing until enabled again."""
        with self._lock:
            record = self._access_tokens.get(token_id)
            if record is not None:
                record["is_active"] = False
                self._drop_sessions_with_token(record["token"])

    def enable_access_token(self, token_id: str) -> None:
        """``EnableUserAccessToken``: ``is_active`` true (its next use makes a new session)."""
        with self._lock:
            record = self._access_tokens.get(token_id)
            if record is not None:
                record["is_active"] = True

    def _drop_sessions_with_token(self, token: str) -> None:
        for sid in [sid for sid, s in self._sessions.items() if s["token"] == token]:
            del self._sessions[sid]

    def _session_for_access_token(self, token: str, now: int) -> Record | None:
        """``createSessionForUserAccessToken``: the new session, or ``None`` where the server answers 401
        (unknown or disabled token, access tokens off for a non-bot, deactivated owner)."""
        pat = next((t for t in self._access_tokens.values() if t["token"] == token and t["is_active"]), None)
        if pat is None:
            return None
        user = self._users.get(pat["user_id"])
        if user is None or user["delete_at"] != 0:
            return None
        if not self.enable_user_access_tokens and not user["is_bot"]:
            return None
        props = {"user_access_token_id": pat["id"], "type": SESSION_TYPE_ACCESS_TOKEN}
        if user["is_bot"]:
            props["is_bot"] = "true"
        props["is_guest"] = str("system_guest" in user["roles"].split()).lower()
        return self._store_session(user, id=None, token=token, props=props, device_id="", create_ms=now,
                                   last_activity_ms=now, expires_ms=now + ACCESS_TOKEN_SESSION_LENGTH_MS,
                                   is_oauth=False)
