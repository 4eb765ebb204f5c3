"""Signing many users out (``bot.features.bulk``, ``bot.features.stepwise``): through the real client and HTTP
against the stand-in, with its rate limiting and failures injected."""
from __future__ import annotations

import time
from typing import Callable

import pytest

from bot.core.errors import UpstreamRejected
from bot.core.model import Session, User
from bot.core.results import Progress, Target, count_revoked
from bot.features.bulk import milestones, sign_out, sign_out_all
from bot.features.context import Context
from bot.features.stepwise import RATE_LIMIT_ATTEMPTS, patiently
from bot.mattermost.client import MattermostAPI
from tests.support.settings import BOT_SECRET


def context(api: MattermostAPI, sleep: Callable[[float], None] = time.sleep) -> Context:
    return Context(api, BOT_SECRET, sleep=sleep)


def users_with_sessions(world, count: int, sessions_each: int = 3) -> list[Target]:
    targets = []
    for index in range(count):
        record = world.add_user(f"staff{index}", "system_user")
        sessions = tuple(Session.from_api(world.add_session(record["id"])) for _ in range(sessions_each))
        targets.append(Target(User.from_api(record), sessions, everything=True))
    return targets


def live(world, user: User) -> int:
    return len(world.sessions_of(user.id))


def test_every_target_is_signed_out_and_progress_is_heard_once_per_target(world, api):
    targets = users_with_sessions(world, 12)
    heard: list[Progress] = []
    results = sign_out_all(context(api), targets, on_progress=heard.append)
    assert [r.user for r in results] == [t.user for t in targets] and all(r.error is None for r in results)
    assert all(live(world, t.user) == 0 for t in targets) and count_revoked(results) == 36
    assert sorted(p.done for p in heard) == list(range(1, 13)) and {p.total for p in heard} == {12}


def test_a_failure_for_one_user_never_stops_the_others(world, api):
    targets = users_with_sessions(world, 5)
    broken = targets[2].user.id
    world.faults.add(rf"^/api/v4/users/{broken}/sessions/revoke/all$", status=500)
    results = sign_out_all(context(api, lambda s: None), targets)
    assert [r.error is not None for r in results] == [False, False, True, False, False]
    assert results[2].error == UpstreamRejected(500, "sandbox.injected_fault.app_error") and results[2].revoked == ()
    assert [live(world, t.user) for t in targets] == [0, 0, 3, 0, 0]


def test_a_rate_limited_call_is_sent_again_after_the_wait_mattermost_names(world, api):
    [target] = users_with_sessions(world, 1)
    world.faults.add(r"/sessions/revoke/all$", status=429, times=2)
    waits: list[float] = []
    result = sign_out(context(api, waits.append), target)
    assert result.error is None and live(world, target.user) == 0
    assert waits == [1.0, 1.0]  # the stand-in's X-Ratelimit-Reset, as Mattermost's limiter sends it
    revoke_calls = [e for e in world.exchanges if e.path.endswith("/revoke/all")]
    assert [e.status for e in revoke_calls] == [429, 429, 200]


def test_rate_limiting_that_never_ends_is_a_failure_for_that_user_only(world, api):
    targets = users_with_sessions(world, 2)
    world.faults.add(rf"^/api/v4/users/{targets[0].user.id}/sessions/revoke/all$", status=429)
    results = sign_out_all(context(api, lambda s: None), targets)
    assert isinstance(results[0].error, UpstreamRejected) and results[0].error.status == 429
    assert results[1].error is None
    assert len([e for e in world.exchanges if targets[0].user.id in e.path]) == RATE_LIMIT_ATTEMPTS


def test_a_selection_revokes_exactly_its_sessions_one_by_one(world, api):
    [target] = users_with_sessions(world, 1, sessions_each=4)
    chosen = Target(target.user, target.sessions[:2], everything=False)
    result = sign_out(context(api), chosen)
    left = {s["id"] for s in world.sessions_of(target.user.id)}
    assert result.revoked == target.sessions[:2] and left == {s.id for s in target.sessions[2:]}
    assert not any(e.path.endswith("/revoke/all") for e in world.exchanges)


def test_a_selected_session_that_ended_meanwhile_is_not_a_failure(world, api):
    [target] = users_with_sessions(world, 1, sessions_each=2)
    world.revoke_session(target.sessions[0].id)
    result = sign_out(context(api), Target(target.user, target.sessions, everything=False))
    assert result.error is None and live(world, target.user) == 0
    # Mattermost confirmed only the second: the first is reported gone, never as signed out by this run.
    assert result.revoked == target.sessions[1:] and result.gone == target.sessions[:1]


def test_a_failure_midway_through_a_selection_reports_what_was_done(world, api):
    [target] = users_with_sessions(world, 1, sessions_each=3)
    world.faults.add(r"/sessions/revoke$", status=500, times=1)
    first = sign_out(context(api), Target(target.user, target.sessions[:1], everything=False))
    assert first.revoked == () and first.error is not None
    result = sign_out(context(api), Target(target.user, target.sessions, everything=False))
    assert result.revoked == target.sessions and result.error is None


def test_other_errors_are_never_sent_again():
    calls = []

    def refuse() -> None:
        calls.append(1)
        raise UpstreamRejected(403, "api.context.permissions.app_error")

    with pytest.raises(UpstreamRejected):
        patiently(refuse, sleep=lambda s: None)
    assert calls == [1]


def test_waits_double_when_mattermost_names_none_and_are_capped():
    waits: list[float] = []
    with pytest.raises(UpstreamRejected):
        patiently(lambda: (_ for _ in ()).throw(UpstreamRejected(429, "")), sleep=waits.append)
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0]


@pytest.mark.parametrize(("total", "updates", "expected"), [(240, 2, {80, 160}), (3, 2, {1, 2}), (1, 2, set()),
                                                           (500, 3, {125, 250, 375})])
def test_progress_milestones_are_evenly_spaced_and_never_the_end(total, updates, expected):
    assert milestones(total, updates) == expected


def test_a_failing_progress_report_never_stops_the_sign_out(world, api):
    targets = users_with_sessions(world, 3)

    def broken(progress: Progress) -> None:
        raise RuntimeError("the progress channel is down")

    results = sign_out_all(context(api), targets, on_progress=broken)
    assert all(r.error is None for r in results) and all(live(world, t.user) == 0 for t in targets)
