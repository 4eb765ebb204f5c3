"""Building users and sessions from Mattermost's JSON, and choosing sessions by id prefix."""
import pytest

from bot.core.model import (
    AccessToken,
    Channel,
    DeviceKind,
    Session,
    User,
    by_recent_activity,
    matching,
    shown_ids,
)
from tests.support.factories import DAY, NOW_MS, session_json, token_session_json


def test_session_keeps_no_token_or_csrf_prop():
    session = Session.from_api(session_json(token="secret-token"))
    assert "secret-token" not in repr(session)
    assert "csrf" not in repr(session)


def test_web_session_is_classified_as_web():
    assert Session.from_api(session_json()).kind is DeviceKind.WEB


def test_desktop_app_is_recognised_from_the_browser_prop():
    assert Session.from_api(session_json(props={"browser": "Desktop App/5.6.0"})).kind is DeviceKind.DESKTOP


def test_mobile_app_is_recognised_from_an_apple_device_id_and_named_ios():
    session = Session.from_api(session_json(device_id="apple_rn:0123abcd", props={"os": "Mac OS"}))
    assert session.kind is DeviceKind.MOBILE
    assert session.mobile_system == "iOS"


def test_mobile_app_is_recognised_from_an_android_device_id():
    session = Session.from_api(session_json(device_id="android_rn:xyz"))
    assert (session.kind, session.mobile_system) == (DeviceKind.MOBILE, "Android")


def test_mobile_login_without_device_id_is_recognised_from_is_mobile_prop():
    assert Session.from_api(session_json(props={"isMobile": "true"})).kind is DeviceKind.MOBILE


def test_personal_access_token_session_is_a_token_session():
    session = Session.from_api(token_session_json())
    assert session.kind is DeviceKind.ACCESS_TOKEN and session.is_token


def test_bot_token_session_is_labelled_as_a_bot_token():
    session = Session.from_api(token_session_json(bot=True))
    assert session.kind is DeviceKind.BOT_TOKEN and session.is_token


def test_oauth_session_is_an_oauth_app():
    assert Session.from_api(session_json(is_oauth=True)).kind is DeviceKind.OAUTH


def test_session_past_its_expiry_is_expired():
    assert Session.from_api(session_json(expires_at=NOW_MS - DAY)).is_expired(NOW_MS)
    assert not Session.from_api(session_json()).is_expired(NOW_MS)


def test_user_roles_are_split_and_system_admin_is_detected():
    user = User.from_api({"id": "a" * 26, "username": "root", "roles": "system_user system_admin", "delete_at": 0})
    assert user.roles == {"system_user", "system_admin"} and user.is_system_admin and not user.deactivated


def test_user_with_delete_at_is_deactivated():
    assert User.from_api({"id": "a" * 26, "username": "gone", "roles": "system_user", "delete_at": 1}).deactivated


def test_sessions_sort_most_recently_active_first():
    old, new = (Session.from_api(session_json(last_activity_at=NOW_MS - d * DAY)) for d in (5, 1))
    assert by_recent_activity([old, new]) == [new, old]


def test_prefix_matches_every_session_starting_with_it():
    a, b, c = (Session.from_api(session_json(id=i)) for i in ("abcdef" + "1" * 20, "abcdef" + "2" * 20, "zzzzzz" + "1" * 20))
    assert matching([a, b, c], "abcdef") == [a, b]
    assert matching([a, b, c], "abcdef2") == [b]
    assert matching([a, b, c], "nothere") == []


def test_shown_ids_are_eight_characters_unless_longer_is_needed_to_be_unique():
    a, b, c = (Session.from_api(session_json(id=i)) for i in ("abcdefghij" + "1" * 16, "abcdefghij" + "2" * 16, "zyxwvuts" + "0" * 18))
    shown = shown_ids([a, b, c])
    assert shown[c.id] == "zyxwvuts"
    assert shown[a.id] == "abcdefghij1" and shown[b.id] == "abcdefghij2"


def test_an_access_token_never_keeps_a_token_value():
    token = AccessToken.from_api({"id": "t" * 26, "user_id": "u" * 26, "description": "CI", "is_active": True,
                                  "token": "secret-value"})
    assert token == AccessToken("t" * 26, "u" * 26, "CI", True)
    assert "secret-value" not in repr(token)


def test_a_token_session_remembers_which_token_it_belongs_to():
    session = Session.from_api({"id": "s" * 26, "props": {"type": "UserAccessToken", "user_access_token_id": "t" * 26}})
    assert session.access_token_id == "t" * 26 and session.is_token
    assert Session.from_api({"id": "s" * 26, "props": {}}).access_token_id == ""


def test_a_channel_knows_whether_it_is_private():
    assert Channel.from_api({"id": "c" * 26, "name": "incident", "team_id": "t" * 26, "type": "P"}).private
    assert not Channel.from_api({"id": "c" * 26, "name": "town-square", "team_id": "t" * 26, "type": "O"}).private


@pytest.mark.parametrize("ms", [-1, -(10**16), 10**16, 2**63 - 1, 10**30, float("inf"), float("-inf"), float("nan"), 1e30])
def test_a_time_mattermost_could_never_send_is_unknown_and_never_expired(ms):
    session = Session.from_api(session_json(create_at=ms, last_activity_at=ms, expires_at=ms))
    assert (session.created_ms, session.last_activity_ms, session.expires_ms) == (None, None, None)
    assert not session.is_expired(NOW_MS)


@pytest.mark.parametrize("ms", [None, 0])
def test_a_time_not_sent_is_zero_as_before(ms):
    session = Session.from_api(session_json(create_at=ms, last_activity_at=ms, expires_at=ms))
    assert (session.created_ms, session.last_activity_ms, session.expires_ms) == (0, 0, 0)


def test_a_time_that_is_no_number_at_all_is_not_shaped_as_documented():
    with pytest.raises(ValueError):
        Session.from_api(session_json(create_at="yesterday"))


def test_sessions_of_unknown_activity_sort_after_every_known_one():
    known, unknown = Session.from_api(session_json(last_activity_at=1)), Session.from_api(session_json(last_activity_at=-5))
    assert by_recent_activity([unknown, known]) == [known, unknown]
