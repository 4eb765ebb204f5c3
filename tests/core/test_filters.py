"""Specification of the session filters (``bot.core.filters``): which sessions ``--platform``, ``--older-than``
and ``--inactive`` select, and how a filter reads to people."""
from __future__ import annotations

import pytest

from bot.core.filters import Duration, DurationError, Platform, SessionFilter
from bot.core.model import DeviceKind, Session
from bot.replies.filters import describe_duration, describe_filter
from tests.support.factories import (
    DAY,
    HOUR,
    MINUTE,
    NOW_MS,
    session_json,
    token_session_json,
)

WEEK = 7 * DAY


def s(**kw) -> Session:
    return Session.from_api(session_json(**kw))


WEB = s()
DESKTOP = s(props={"browser": "Desktop App/5.6.0"})
MOBILE = s(device_id="apple_rn:abc")
TOKEN = Session.from_api(token_session_json())
BOT_TOKEN = Session.from_api(token_session_json(bot=True))
OAUTH = s(is_oauth=True, props={"platform": "Zapier"})
EVERY_KIND = [WEB, DESKTOP, MOBILE, TOKEN, BOT_TOKEN, OAUTH]


def chosen(wanted: SessionFilter, sessions: list[Session]) -> list[Session]:
    return list(wanted.select(sessions, NOW_MS).chosen)


# --- durations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit", "ms"), [(90, "m", 90 * MINUTE), (12, "h", 12 * HOUR), (30, "d", 30 * DAY), (2, "w", 2 * WEEK)]
)
def test_a_duration_is_a_whole_number_of_minutes_hours_days_or_weeks(amount, unit, ms):
    assert Duration(amount, unit).ms == ms


@pytest.mark.parametrize(
    ("duration", "words"),
    [(Duration(1, "m"), "1 minute"), (Duration(90, "m"), "90 minutes"), (Duration(1, "d"), "1 day"),
     (Duration(12, "h"), "12 hours"), (Duration(2, "w"), "2 weeks")],
)
def test_a_duration_reads_in_the_unit_it_was_given_in(duration, words):
    assert describe_duration(duration) == words


def test_a_duration_writes_back_as_typed():
    assert str(Duration(30, "d")) == "30d"


@pytest.mark.parametrize(
    ("amount", "unit", "reason"),
    [(0, "d", "not_positive"), (-5, "d", "not_positive"), (30, "y", "unit"), (30, "", "unit"), (30, "D", "unit"),
     (3651, "d", "too_long"), (522, "w", "too_long"), (5_256_001, "m", "too_long")],
)
def test_zero_negative_unknown_units_and_more_than_ten_years_are_refused(amount, unit, reason):
    with pytest.raises(DurationError) as refused:
        Duration(amount, unit)
    assert refused.value.reason == reason


@pytest.mark.parametrize("duration", [(3650, "d"), (521, "w"), (87_600, "h"), (5_256_000, "m"), (1, "m")])
def test_ten_years_and_one_minute_are_the_limits(duration):
    assert Duration(*duration).ms > 0


# --- platforms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "expected"),
    [(Platform.WEB, [WEB]), (Platform.DESKTOP, [DESKTOP]), (Platform.MOBILE, [MOBILE]), (Platform.API, [TOKEN, BOT_TOKEN])],
)
def test_each_platform_selects_its_kind_of_session(platform, expected):
    assert chosen(SessionFilter(platforms=frozenset({platform})), EVERY_KIND) == expected


def test_api_means_personal_access_token_and_bot_token_sessions():
    assert Platform.API.kinds == {DeviceKind.ACCESS_TOKEN, DeviceKind.BOT_TOKEN}
    assert all(session.is_token == (session.kind in Platform.API.kinds) for session in EVERY_KIND)


def test_oauth_app_sessions_match_no_platform():
    assert not SessionFilter(platforms=frozenset(Platform)).matches(OAUTH, NOW_MS)


def test_several_platforms_are_alternatives():
    wanted = SessionFilter(platforms=frozenset({Platform.MOBILE, Platform.DESKTOP}))
    assert chosen(wanted, EVERY_KIND) == [DESKTOP, MOBILE]


# --- ages ----------------------------------------------------------------------------------


def test_older_than_selects_sessions_signed_in_more_than_that_long_ago():
    old, exactly, new = s(create_at=NOW_MS - 31 * DAY), s(create_at=NOW_MS - 30 * DAY), s(create_at=NOW_MS - 29 * DAY)
    assert chosen(SessionFilter(older_than=Duration(30, "d")), [old, exactly, new]) == [old]


def test_inactive_selects_sessions_unused_for_more_than_that_long():
    stale, exactly, fresh = (s(last_activity_at=NOW_MS - ago) for ago in (7 * DAY + 1, 7 * DAY, MINUTE))
    assert chosen(SessionFilter(inactive=Duration(1, "w")), [stale, exactly, fresh]) == [stale]


def test_a_session_with_unknown_times_counts_as_old_and_inactive():
    unknown = s(create_at=0, last_activity_at=0)
    assert SessionFilter(older_than=Duration(3650, "d"), inactive=Duration(3650, "d")).matches(unknown, NOW_MS)


def test_filters_combine_with_and():
    wanted = SessionFilter(frozenset({Platform.WEB}), older_than=Duration(30, "d"), inactive=Duration(7, "d"))
    match = s(create_at=NOW_MS - 40 * DAY, last_activity_at=NOW_MS - 10 * DAY)
    misses = [
        s(create_at=NOW_MS - 40 * DAY, last_activity_at=NOW_MS - 10 * DAY, device_id="android_rn:x"),  # not web
        s(create_at=NOW_MS - 20 * DAY, last_activity_at=NOW_MS - 10 * DAY),  # too new
        s(create_at=NOW_MS - 40 * DAY, last_activity_at=NOW_MS - HOUR),  # still in use
    ]
    assert chosen(wanted, [match, *misses]) == [match]


def test_the_empty_filter_selects_every_session():
    wanted = SessionFilter()
    assert wanted.is_empty
    assert chosen(wanted, EVERY_KIND) == EVERY_KIND


@pytest.mark.parametrize(
    "wanted",
    [SessionFilter(frozenset({Platform.API})), SessionFilter(older_than=Duration(1, "d")), SessionFilter(inactive=Duration(1, "d"))],
)
def test_any_criterion_makes_a_filter_non_empty(wanted):
    assert not wanted.is_empty


def test_a_selection_keeps_the_order_given_and_counts_what_it_left_out():
    selection = SessionFilter(frozenset({Platform.API})).select(EVERY_KIND, NOW_MS)
    assert selection.chosen == (TOKEN, BOT_TOKEN)
    assert (selection.left_out, selection.total) == (4, 6)


# --- in words and as options ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "words", "options"),
    [
        (SessionFilter(), "all sessions", ""),
        (SessionFilter(frozenset({Platform.MOBILE})), "mobile app sessions", "--platform mobile"),
        (SessionFilter(frozenset({Platform.API, Platform.WEB})), "web browser or API token sessions", "--platform web,api"),
        (SessionFilter(older_than=Duration(30, "d")), "sessions signed in more than 30 days ago", "--older-than 30d"),
        (SessionFilter(inactive=Duration(12, "h")), "sessions inactive for more than 12 hours", "--inactive 12h"),
        (
            SessionFilter(frozenset({Platform.DESKTOP}), Duration(2, "w"), Duration(90, "m")),
            "desktop app sessions signed in more than 2 weeks ago and inactive for more than 90 minutes",
            "--platform desktop --older-than 2w --inactive 90m",
        ),
    ],
)
def test_a_filter_reads_as_a_noun_phrase_and_writes_back_as_options(wanted, words, options):
    assert describe_filter(wanted) == words
    assert wanted.options() == options
