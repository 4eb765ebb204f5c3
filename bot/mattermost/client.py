"""Talk to Mattermost's REST API v4 through mattermostdriver, with the bot's own token: the calls the bot makes,
as typed values (``bot.core.model``). The HTTP underneath (one pooled session, timeouts, no retries) is
``bot.mattermost.http``; every failure leaves this module as one of the ``bot.core.errors`` types, and
``bot.mattermost.statuses`` says what a status means for each kind of call.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterable, Iterator, TypeVar
from urllib.parse import quote

import requests
from cachetools import TTLCache
from mattermostdriver import Driver

from bot.core.errors import (
    BotTokenRejected,
    MattermostUnreachable,
    UpstreamMalformed,
    UpstreamRejected,
)
from bot.core.model import AccessToken, Session, User
from bot.mattermost.directory import MAX_PER_PAGE, Directory
from bot.mattermost.http import (
    HOOK_ENDPOINT,
    PooledClient,
    built,
    checked,
    error_id,
    new_http_session,
    retry_after_s,
)
from bot.ops.config import MattermostSettings

T = TypeVar("T")

#: How long role definitions are trusted before they are fetched again.
ROLE_CACHE_SECONDS = 60.0


def _confirmed(body: Any, what: str) -> None:
    """Nothing, when ``body`` is Mattermost's ``{"status": "OK"}`` (``ReturnStatusOK``, the answer of every
    revocation); otherwise ``UpstreamMalformed``: a 200 without it confirms nothing."""
    if not (isinstance(body, dict) and body.get("status") == "OK"):
        raise UpstreamMalformed(f"its answer to {what} was not the confirmation it sends")

#: Users already fetched by id in the request being served (see ``MattermostAPI.remembering_users``), by
#: (client, user id); None outside such a request.
_REMEMBERED: ContextVar[dict[tuple[int, str], User] | None] = ContextVar("remembered_users", default=None)


class MattermostAPI(Directory):
    """The handful of Mattermost calls the bot makes, as typed values and ``bot.core.errors`` exceptions."""

    def __init__(self, settings: MattermostSettings, http: requests.Session | None = None) -> None:
        super().__init__()
        server = settings.server
        self._timeout = settings.mattermost_timeout_s
        self._site_url = settings.mattermost_url
        self._http = http or new_http_session(settings.mattermost_url)
        self._driver = Driver(
            {
                "scheme": server.scheme,
                "url": server.host,
                "port": server.port,
                "basepath": server.basepath,
                "token": settings.mattermost_token.get_secret_value(),
                "request_timeout": settings.mattermost_timeout_s,
                "http": self._http,
            },
            client_cls=PooledClient,
        )
        self._driver.client.token = settings.mattermost_token.get_secret_value()
        self._roles: TTLCache[str, frozenset[str]] = TTLCache(maxsize=256, ttl=ROLE_CACHE_SECONDS)
        self._roles_lock = threading.Lock()
        self._bot_user_id: str | None = None

    def _call(self, request: Callable[[], T]) -> T:
        """Run one driver call, turning every transport or HTTP failure into a ``bot.core.errors`` type."""
        try:
            return request()
        except requests.Timeout:
            raise MattermostUnreachable(f"it did not answer within {self._timeout:g} s") from None
        except requests.ConnectionError:
            raise MattermostUnreachable("the connection failed") from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status == 401:
                raise BotTokenRejected() from None
            raise UpstreamRejected(status, error_id(exc.response), retry_after_s(exc.response)) from None
        except ValueError:  # before RequestException: requests' JSONDecodeError is both
            raise UpstreamMalformed("the answer was not valid JSON") from None
        except requests.RequestException as exc:
            raise MattermostUnreachable("its answer broke off or could not be read", type(exc).__name__) from None

    def _get_json(self, endpoint: str) -> Any:
        body = self._call(lambda: self._driver.client.get(endpoint))
        if isinstance(body, requests.Response):  # the driver hands back non-JSON answers raw
            raise UpstreamMalformed(f"GET {endpoint} did not answer JSON")
        return body

    def _user(self, endpoint: str) -> User:
        return built(lambda: User.from_api(self._get_json(endpoint)), "a user record")

    def _pages(self, endpoint: str, limit: int) -> list[Any]:
        """The items of a paged list endpoint (``page``/``per_page``), page after page, at most ``limit``."""
        items: list[Any] = []
        page = 0
        while len(items) < limit:
            separator = "&" if "?" in endpoint else "?"
            body = self._get_json(f"{endpoint}{separator}page={page}&per_page={MAX_PER_PAGE}")
            if not isinstance(body, list):
                raise UpstreamMalformed(f"GET {endpoint} did not answer a list")
            items += body
            if len(body) < MAX_PER_PAGE:
                break
            page += 1
        return items[:limit]

    def whoami(self) -> User:
        """``GET /users/me``: the bot's own account, fetched now (proves Mattermost answers and the token works)."""
        me = self._user("/users/me")
        self._bot_user_id = me.id
        return me

    @property
    def bot_user_id(self) -> str:
        """The bot account's own user id (fetched once per process with ``GET /users/me``)."""
        if self._bot_user_id is None:
            return self.whoami().id
        return self._bot_user_id

    def user(self, user_id: str) -> User:
        """``GET /users/{user_id}``; within :meth:`remembering_users`, at most once per user."""
        remembered = _REMEMBERED.get()
        key = (id(self), user_id)
        if remembered is not None and key in remembered:
            return remembered[key]
        user = self._user("/users/" + quote(user_id, safe=""))
        if remembered is not None:
            remembered[key] = user
        return user

    @contextmanager
    def remembering_users(self) -> Iterator[None]:
        """Within the block (one request, on this thread), :meth:`user` asks Mattermost about each user once:
        the click edge's look at the clicker and the command's look at its caller are one call."""
        token = _REMEMBERED.set({})
        try:
            yield
        finally:
            _REMEMBERED.reset(token)

    def user_by_username(self, username: str) -> User:
        """``GET /users/username/{username}`` (the name is percent-encoded; the driver would not)."""
        return self._user("/users/username/" + quote(username, safe=""))

    def user_by_email(self, email: str) -> User:
        """``GET /users/email/{email}`` (percent-encoded)."""
        return self._user("/users/email/" + quote(email, safe=""))

    def permissions_of_roles(self, role_names: Iterable[str]) -> dict[str, frozenset[str]]:
        """Permissions per role name, from a short-lived cache or one ``POST /roles/names``.

        Roles Mattermost does not return (unknown) and deleted roles map to no permissions. The driver's
        own helper for this endpoint sends GET, which the server refuses (§8), so POST is sent directly.
        """
        names = sorted(set(role_names))
        with self._roles_lock:
            known = {name: self._roles[name] for name in names if name in self._roles}
        missing = [name for name in names if name not in known]
        if missing:
            body = self._call(lambda: self._driver.client.post("/roles/names", options=missing))
            fetched = dict.fromkeys(missing, frozenset())
            try:
                for role in body:
                    if role["name"] in fetched and not role.get("delete_at"):
                        fetched[role["name"]] = frozenset(role.get("permissions") or ())
            except (KeyError, TypeError):
                raise UpstreamMalformed("role definitions were not shaped as documented") from None
            with self._roles_lock:
                self._roles.update(fetched)
            known.update(fetched)
        return known

    def sessions(self, user_id: str) -> list[Session]:
        """``GET /users/{user_id}/sessions``."""
        body = self._get_json(f"/users/{quote(user_id, safe='')}/sessions")
        return built(lambda: [Session.from_api(item) for item in body], "the session list")

    def revoke_session(self, user_id: str, session_id: str) -> None:
        """``POST /users/{user_id}/sessions/revoke`` with ``{"session_id": ...}``."""
        body = self._call(lambda: self._driver.users.revoke_user_session(quote(user_id, safe=""),
                                                                         {"session_id": session_id}))
        _confirmed(body, "signing a session out")

    def revoke_all_sessions(self, user_id: str) -> None:
        """``POST /users/{user_id}/sessions/revoke/all``."""
        _confirmed(self._call(lambda: self._driver.users.revoke_all_user_sessions(quote(user_id, safe=""))),
                   "signing every session out")

    def revoke_everyones_sessions(self) -> None:
        """``POST /users/sessions/revoke/all``: every session of every user, the bot's own included (its token
        makes a new one on the next call); needs ``manage_system``."""
        _confirmed(self._call(lambda: self._driver.client.post("/users/sessions/revoke/all")),
                   "signing everyone out")

    def access_tokens(self, user_id: str, limit: int = 1000) -> list[AccessToken]:
        """``GET /users/{user_id}/tokens``, every page: the user's personal access tokens, never their values."""
        body = self._pages(f"/users/{quote(user_id, safe='')}/tokens", limit)
        return built(lambda: [AccessToken.from_api(item) for item in body], "the token list")

    def revoke_access_token(self, token_id: str) -> None:
        """``POST /users/tokens/revoke``: the token is deleted, with its session."""
        _confirmed(self._call(lambda: self._driver.client.post("/users/tokens/revoke", options={"token_id": token_id})),
                   "revoking a token")

    def disable_access_token(self, token_id: str) -> None:
        """``POST /users/tokens/disable``: the token stops working (and its session ends) until enabled again."""
        _confirmed(self._call(lambda: self._driver.client.post("/users/tokens/disable", options={"token_id": token_id})),
                   "disabling a token")

    def direct_channel(self, user_id: str, other_id: str) -> str:
        """The id of the direct channel between two users (``POST /channels/direct`` creates or finds it)."""
        body = self._call(lambda: self._driver.client.post("/channels/direct", options=[user_id, other_id]))
        try:
            return str(body["id"])
        except (KeyError, TypeError):
            raise UpstreamMalformed("a channel was not shaped as documented") from None

    def create_post(self, channel_id: str, message: str) -> None:
        """``POST /posts``: a message from the bot in ``channel_id``."""
        self._call(lambda: self._driver.client.post("/posts", options={"channel_id": channel_id, "message": message}))

    def send_ephemeral_post(self, user_id: str, channel_id: str, message: str, attachments: list[dict[str, Any]]) -> None:
        """``POST /posts/ephemeral``: a message with attachments only ``user_id`` sees (needs create_post_ephemeral)."""
        post = {"channel_id": channel_id, "message": message, "props": {"attachments": attachments}}
        self._call(lambda: self._driver.client.post("/posts/ephemeral", options={"user_id": user_id, "post": post}))

    def respond(self, hook_id: str, body: dict[str, Any]) -> None:
        """``POST /hooks/commands/{hook_id}`` under ``MATTERMOST_URL``: a late reply to a slash command (§1.5).

        The path is outside ``/api/v4`` and needs no token: the hook id is the credential, so it is never
        logged, and never sent anywhere but ``MATTERMOST_URL``. Same pooled session, timeout and errors as
        the API calls.
        """
        url = f"{self._site_url}/hooks/commands/{quote(hook_id, safe='')}"

        def send() -> requests.Response:
            return self._http.post(url, json=body, timeout=self._timeout)

        self._call(lambda: checked("POST", HOOK_ENDPOINT, send))
