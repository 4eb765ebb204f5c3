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
from bot.core.model import AccessToken, Channel, Session, TeamMembership, User
from bot.mattermost.http import (
    HOOK_ENDPOINT,
    PooledClient,
    checked,
    error_id,
    new_http_session,
    retry_after_s,
)
from bot.ops.config import MattermostSettings

T = TypeVar("T")

#: Mattermost's largest page (``per_page`` above it is cut to it).
MAX_PER_PAGE = 200

#: How long role definitions are trusted before they are fetched again.
ROLE_CACHE_SECONDS = 60.0
#: How long the server's privacy settings are trusted before they are read again.
CONFIG_CACHE_SECONDS = 60.0


def _confirmed(body: Any, what: str) -> None:
    """Nothing, when ``body`` is Mattermost's ``{"status": "OK"}`` (``ReturnStatusOK``, the answer of every
    revocation); otherwise ``UpstreamMalformed``: a 200 without it confirms nothing."""
    if not (isinstance(body, dict) and body.get("status") == "OK"):
        raise UpstreamMalformed(f"its answer to {what} was not the confirmation it sends")

#: Users already fetched by id in the request being served (see ``MattermostAPI.remembering_users``), by
#: (client, user id); None outside such a request.
_REMEMBERED: ContextVar[dict[tuple[int, str], User] | None] = ContextVar("remembered_users", default=None)


def _built(build: Callable[[], T], what: str) -> T:
    """``build()``, or ``UpstreamMalformed`` naming ``what`` when Mattermost's JSON is not shaped as documented."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError):
        raise UpstreamMalformed(f"{what} was not shaped as documented") from None


class MattermostAPI:
    """The handful of Mattermost calls the bot makes, as typed values and ``bot.core.errors`` exceptions."""

    def __init__(self, settings: MattermostSettings, http: requests.Session | None = None) -> None:
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
        self._config: TTLCache[str, dict[str, str]] = TTLCache(maxsize=1, ttl=CONFIG_CACHE_SECONDS)
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
        return _built(lambda: User.from_api(self._get_json(endpoint)), "a user record")

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

    def shows_email_addresses(self) -> bool:
        """``PrivacySettings.ShowEmailAddress``, from ``GET /config/client?format=old`` (the map a logged-in
        client gets, ``server/config/client.go`` ``GenerateClientConfig``), read again after
        :data:`CONFIG_CACHE_SECONDS`. Anything but ``"true"`` reads as hidden."""
        config = self._config.get("client")
        if config is None:
            body = self._get_json("/config/client?format=old")
            if not isinstance(body, dict):
                raise UpstreamMalformed("the client configuration was not shaped as documented")
            config = self._config["client"] = {str(key): str(value) for key, value in body.items()}
        return config.get("ShowEmailAddress") == "true"

    def team_memberships(self, user_id: str) -> list[TeamMembership]:
        """``GET /users/{user_id}/teams/members``: the user's active team memberships, with their team roles."""
        body = self._get_json(f"/users/{quote(user_id, safe='')}/teams/members")
        return _built(lambda: [TeamMembership.from_api(item) for item in body if not item.get("delete_at")],
                      "the team memberships")

    def channel_ids_of(self, user_id: str) -> frozenset[str]:
        """``GET /users/{user_id}/channels``: the ids of every channel the user belongs to, in every team, direct
        and group messages included. Mattermost streams this list, so a user with no channel at all, or an error
        midway, gets an answer that is not JSON (``getChannelsForUser``); that counts as no channel, which can only
        ever show the caller fewer people, never more."""
        endpoint = f"/users/{quote(user_id, safe='')}/channels"
        try:
            body = self._get_json(endpoint)
        except UpstreamMalformed:
            return frozenset()  # never more visibility: an unreadable list counts as no channel in common
        return _built(lambda: frozenset(str(channel["id"]) for channel in body), "the channel list")

    def channel_member_count(self, channel_id: str) -> int:
        """``GET /channels/{channel_id}/stats``: how many active users the channel has."""
        body = self._get_json(f"/channels/{quote(channel_id, safe='')}/stats")
        return _built(lambda: int(body["member_count"]), "the channel statistics")

    def sessions(self, user_id: str) -> list[Session]:
        """``GET /users/{user_id}/sessions``."""
        body = self._get_json(f"/users/{quote(user_id, safe='')}/sessions")
        return _built(lambda: [Session.from_api(item) for item in body], "the session list")

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
        return _built(lambda: [AccessToken.from_api(item) for item in body], "the token list")

    def revoke_access_token(self, token_id: str) -> None:
        """``POST /users/tokens/revoke``: the token is deleted, with its session."""
        _confirmed(self._call(lambda: self._driver.client.post("/users/tokens/revoke", options={"token_id": token_id})),
                   "revoking a token")

    def disable_access_token(self, token_id: str) -> None:
        """``POST /users/tokens/disable``: the token stops working (and its session ends) until enabled again."""
        _confirmed(self._call(lambda: self._driver.client.post("/users/tokens/disable", options={"token_id": token_id})),
                   "disabling a token")

    def channel_by_name(self, team_id: str, name: str) -> Channel:
        """``GET /teams/{team_id}/channels/name/{channel_name}``."""
        endpoint = f"/teams/{quote(team_id, safe='')}/channels/name/{quote(name, safe='')}"
        return _built(lambda: Channel.from_api(self._get_json(endpoint)), "a channel")

    def channel(self, channel_id: str) -> Channel:
        """``GET /channels/{channel_id}``."""
        return _built(lambda: Channel.from_api(self._get_json("/channels/" + quote(channel_id, safe=""))), "a channel")

    def users_by_ids(self, user_ids: Iterable[str]) -> list[User]:
        """``POST /users/ids`` in batches of :data:`MAX_PER_PAGE`: the users that exist, in no set order."""
        ids = list(user_ids)
        users: list[User] = []
        for start in range(0, len(ids), MAX_PER_PAGE):
            batch = ids[start:start + MAX_PER_PAGE]
            body = self._call(lambda: self._driver.client.post("/users/ids", options=batch))
            users += _built(lambda: [User.from_api(item) for item in body], "the user list")
        return users

    def team_users(self, team_id: str, limit: int) -> list[User]:
        """``GET /users?in_team=…``, every page: the team's members, by username, at most ``limit``."""
        body = self._pages("/users?in_team=" + quote(team_id, safe=""), limit)
        return _built(lambda: [User.from_api(item) for item in body], "the user list")

    def channel_member_ids(self, channel_id: str, limit: int) -> list[str]:
        """``GET /channels/{channel_id}/members``, every page: the members' user ids, at most ``limit``."""
        body = self._pages(f"/channels/{quote(channel_id, safe='')}/members", limit)
        return _built(lambda: [str(member["user_id"]) for member in body], "the channel member list")

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
