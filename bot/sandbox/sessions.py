"""Sessions in the stand-in, as Mattermost keeps them (mixed into ``World``, sharing its lock and state): logging
in, token authentication (``SqlSessionStore.Get`` matches id *or* token; ``UpdateLastActivityAtIfNeeded``
rewrites activity after ``SessionActivityTimeout``), revoking one or all (``app/session.go``).
"""
from __future__ import annotations

from typing import Any

from .access_tokens import SESSION_TYPE_ACCESS_TOKEN
from .ids import new_id
from .records import copied

Record = dict[str, Any]

HOUR_MS = 3_600_000
SESSION_LENGTH_MS = 720 * HOUR_MS  # SessionLengthWebInHours / SessionLengthMobileInHours defaults
SESSION_ACTIVITY_TIMEOUT_MS = 5 * 60 * 1000  # how stale last_activity_at must be before it is rewritten


def is_guest(user: Record) -> bool:
    """The user holds the ``system_guest`` role."""
    return "system_guest" in user["roles"].split()


def _is_expired(session: Record, now_ms: int) -> bool:
    """``Session.IsExpired``: a positive ``expires_at`` in the past."""
    return 0 < session["expires_at"] < now_ms


class SessionStore:
    """Sessions and the tokens that authenticate them (mixed into ``World``)."""

    def login_props(self, user_id: str, *, platform: str, os: str, browser: str,
                    mobile: bool = False) -> dict[str, str]:
        """The props ``DoLogin`` gives a password-login session (User-Agent fields, ``csrf``, login flags)."""
        with self._lock:
            guest = is_guest(self._users[user_id])
            return {
                "isMobile": str(mobile).lower(), "isSaml": "false", "isOAuthUser": "false",
                "csrf": new_id(self._rng), "platform": platform, "os": os, "browser": browser,
                "is_guest": str(guest).lower(),
            }

    def add_session(
        self,
        user_id: str,
        *,
        id: str | None = None,  # noqa: A002 - mirrors the JSON field
        token: str | None = None,
        props: dict[str, str] | None = None,
        device_id: str = "",
        last_activity_ms: int | None = None,
        create_ms: int | None = None,
        expires_ms: int | None = None,
        is_oauth: bool = False,
    ) -> Record:
        """Store a session for the user and return a copy.

        Defaults: created now, last active at creation, expiring after the default session
        length (30 days), roles copied from the user, props of a Chrome login on Windows.
        """
        with self._lock:
            user = self._users[user_id]
            created = create_ms if create_ms is not None else self.now_ms()
            if props is None:
                props = self.login_props(user_id, platform="Windows", os="Windows 10", browser="Chrome/124.0.6367")
            session = self._store_session(
                user, id=id, token=token, props=props, device_id=device_id, create_ms=created,
                last_activity_ms=last_activity_ms if last_activity_ms is not None else created,
                expires_ms=expires_ms if expires_ms is not None else created + SESSION_LENGTH_MS,
                is_oauth=is_oauth)
            return copied(session)

    def _store_session(self, user: Record, *, id: str | None, token: str | None, props: dict[str, str],  # noqa: A002
                       device_id: str, create_ms: int, last_activity_ms: int, expires_ms: int,
                       is_oauth: bool) -> Record:
        session: Record = {
            "id": id or new_id(self._rng), "token": token or new_id(self._rng), "create_at": create_ms,
            "expires_at": expires_ms, "last_activity_at": last_activity_ms, "user_id": user["id"],
            "device_id": device_id, "roles": user["roles"], "is_oauth": is_oauth,
            "expired_notify": False, "props": dict(props), "local": False,
        }
        self._sessions[session["id"]] = session
        return session

    def sessions_of(self, user_id: str) -> list[Record]:
        """All stored sessions of a user, expired ones included, tokens included, most recently active first."""
        with self._lock:
            rows = [s for s in self._sessions.values() if s["user_id"] == user_id]
            return copied(sorted(rows, key=lambda s: s["last_activity_at"], reverse=True))

    def token_of(self, username: str) -> str:
        """The token of the user's most recently active unexpired session (``LookupError`` if none)."""
        with self._lock:
            user = self._user_named(username)
            now = self.now_ms()
            live = [s for s in self._sessions.values() if s["user_id"] == user["id"] and not _is_expired(s, now)]
            if not live:
                raise LookupError(f"{username} has no live session")
            return max(live, key=lambda s: s["last_activity_at"])["token"]

    def find_session(self, id_or_token: str) -> Record | None:
        """The session whose id *or* token equals the value (``SqlSessionStore.Get``), as a copy."""
        with self._lock:
            for session in self._sessions.values():
                if id_or_token in (session["id"], session["token"]):
                    return copied(session)
        return None

    def authenticate(self, token: str) -> Record | None:
        """Resolve a bearer token to its session, as ``App.GetSession`` does; ``None`` means 401.

        A session token must match exactly and not be expired. An unknown token is tried as
        a personal access token: the first use (and the first after its session was revoked)
        stores a session whose token *is* the access token (``createSessionForUserAccessToken``).
        ``last_activity_at`` is rewritten when older than five minutes.
        """
        with self._lock:
            now = self.now_ms()
            session = next((s for s in self._sessions.values() if s["token"] == token), None)
            if session is None:
                session = self._session_for_access_token(token, now)
            if session is None or _is_expired(session, now) or not self._access_token_sessions_allowed(session):
                return None
            if now - session["last_activity_at"] >= SESSION_ACTIVITY_TIMEOUT_MS:
                session["last_activity_at"] = now
            return copied(session)

    def _access_token_sessions_allowed(self, session: Record) -> bool:
        if session["props"].get("type") != SESSION_TYPE_ACCESS_TOKEN:
            return True
        return self.enable_user_access_tokens or session["props"].get("is_bot") == "true"

    def revoke_session(self, session_id: str) -> None:
        """Delete one session (``App.RevokeSession``); an access token stays valid."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def revoke_all_sessions(self, user_id: str) -> None:
        """Delete every session of the user (``RevokeAllSessions``)."""
        with self._lock:
            self._revoke_all_sessions(user_id)

    def _revoke_all_sessions(self, user_id: str) -> None:
        for sid in [sid for sid, s in self._sessions.items() if s["user_id"] == user_id]:
            del self._sessions[sid]

    def revoke_sessions_of_everyone(self) -> None:
        """Delete every session of every user (``RevokeSessionsFromAllUsers``)."""
        with self._lock:
            self._sessions.clear()
