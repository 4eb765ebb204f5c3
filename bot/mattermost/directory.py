"""Who is where, as the bot's token reads it: the server's privacy setting, users' teams and channels, channels and
their members (a part of ``bot.mattermost.client.MattermostAPI``, which provides the transport it uses)."""
from __future__ import annotations

from typing import Any, Callable, Iterable, TypeVar
from urllib.parse import quote

from cachetools import TTLCache

from bot.core.errors import UpstreamMalformed
from bot.core.model import Channel, TeamMembership, User
from bot.mattermost.http import built

T = TypeVar("T")

#: Mattermost's largest page (``per_page`` above it is cut to it).
MAX_PER_PAGE = 200
#: How long the server's privacy settings are trusted before they are read again.
CONFIG_CACHE_SECONDS = 60.0


class Directory:
    """Lookups of teams, channels and memberships (mixed into ``MattermostAPI``)."""

    _driver: Any

    def __init__(self) -> None:
        self._config: TTLCache[str, dict[str, str]] = TTLCache(maxsize=1, ttl=CONFIG_CACHE_SECONDS)

    def _call(self, request: Callable[[], T]) -> T:  # pragma: no cover - provided by MattermostAPI
        raise NotImplementedError

    def _get_json(self, endpoint: str) -> Any:  # pragma: no cover - provided by MattermostAPI
        raise NotImplementedError

    def _pages(self, endpoint: str, limit: int) -> list[Any]:  # pragma: no cover - provided by MattermostAPI
        raise NotImplementedError

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
        return built(lambda: [TeamMembership.from_api(item) for item in body if not item.get("delete_at")],
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
        return built(lambda: frozenset(str(channel["id"]) for channel in body), "the channel list")

    def channel_member_count(self, channel_id: str) -> int:
        """``GET /channels/{channel_id}/stats``: how many active users the channel has."""
        body = self._get_json(f"/channels/{quote(channel_id, safe='')}/stats")
        return built(lambda: int(body["member_count"]), "the channel statistics")

    def channel_by_name(self, team_id: str, name: str) -> Channel:
        """``GET /teams/{team_id}/channels/name/{channel_name}``."""
        endpoint = f"/teams/{quote(team_id, safe='')}/channels/name/{quote(name, safe='')}"
        return built(lambda: Channel.from_api(self._get_json(endpoint)), "a channel")

    def channel(self, channel_id: str) -> Channel:
        """``GET /channels/{channel_id}``."""
        return built(lambda: Channel.from_api(self._get_json("/channels/" + quote(channel_id, safe=""))), "a channel")

    def users_by_ids(self, user_ids: Iterable[str]) -> list[User]:
        """``POST /users/ids`` in batches of :data:`MAX_PER_PAGE`: the users that exist, in no set order."""
        ids = list(user_ids)
        users: list[User] = []
        for start in range(0, len(ids), MAX_PER_PAGE):
            batch = ids[start:start + MAX_PER_PAGE]
            body = self._call(lambda: self._driver.client.post("/users/ids", options=batch))
            users += built(lambda: [User.from_api(item) for item in body], "the user list")
        return users

    def team_users(self, team_id: str, limit: int) -> list[User]:
        """``GET /users?in_team=…``, every page: the team's members, by username, at most ``limit``."""
        body = self._pages("/users?in_team=" + quote(team_id, safe=""), limit)
        return built(lambda: [User.from_api(item) for item in body], "the user list")

    def channel_member_ids(self, channel_id: str, limit: int) -> list[str]:
        """``GET /channels/{channel_id}/members``, every page: the members' user ids, at most ``limit``."""
        body = self._pages(f"/channels/{quote(channel_id, safe='')}/members", limit)
        return built(lambda: [str(member["user_id"]) for member in body], "the channel member list")
