"""What the caller reads when Mattermost misbehaves: plain words, never the bot's insides.

The fault matrix of ``tests/e2e/test_faults.py`` (every command × every fault), and a few faults more, judged on
what the caller is shown: no endpoint (``/api/v4/...``, ``GET /users/...``) and no 26-character id the caller did
not type, whatever Mattermost (or something in front of it) answered. Then the rate limiter's 429 on a call the
bot does not send again: "Mattermost is busy; try again in N seconds", N as the answer asked, and nothing done.
(A prefix matching several sessions lists them as a list shows them, never by whole id: tests/e2e/test_slash.py.)
"""
from __future__ import annotations

import json
import logging
import re
from typing import Callable

import pytest

from bot.sandbox import World
from tests.e2e.test_faults import (
    FAULTS,
    SCENARIOS,
    TIMEOUT_S,
    Scenario,
    run_scenario,
    type_,
)
from tests.support.lookups import audit_records, uid
from tests.support.stack import BotServer
from tests.support.waiting import eventually

#: What an endpoint looks like in a text: the API's prefix, a path of one of the calls the bot makes, or a request line.
ENDPOINT = re.compile(r"/api/v4|/users\b|/sessions/revoke|/tokens/|/roles/|/channels/|/posts\b|/hooks/"
                      r"|\b(GET|POST|PUT|DELETE) /")
#: A Mattermost id, wherever it stands in a text.
AN_ID = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{26}(?![A-Za-z0-9])")


def _not_found_naming_the_url(world: World, method: str, path: str) -> object:
    """Mattermost's answer to a call it has no route for (``server/channels/web/web.go`` ``Handle404``): its
    ``detailed_error`` repeats the whole path, ids and all."""
    url = "/api/v4/users/" + uid(world, "alice") + "/sessions"
    body = {"id": "api.context.404.app_error", "message": "Sorry, we could not find the page.",
            "detailed_error": f"There doesn't appear to be an api call for the url='{url}'.  Typo? are you missing a "
                              "team_id or user_id as part of the url?", "request_id": "x" * 26, "status_code": 404}
    return world.faults.add(path, method=method, status=404, body=json.dumps(body).encode(), times=1)


def _error_whose_id_is_an_id(world: World, method: str, path: str) -> object:
    """An error body whose ``id`` is no error id but a user's id (a proxy, a plugin, a broken server)."""
    body = {"id": uid(world, "alice"), "message": "/api/v4/users/" + uid(world, "bob"), "status_code": 500}
    return world.faults.add(path, method=method, status=500, body=json.dumps(body).encode(), times=1)


def _html_page(world: World, method: str, path: str) -> object:
    """A 200 that is a web page, not JSON: a login page of a proxy in front of Mattermost."""
    return world.faults.add(path, method=method, status=200, body=b"<html><body>Please sign in</body></html>",
                            content_type="text/html; charset=utf-8", times=1)


#: Faults past the matrix's, each one that used to put an endpoint or an id in front of the caller.
MORE_FAULTS: dict[str, Callable[[World, str, str], object]] = {
    "404 naming the url": _not_found_naming_the_url,
    "error id that is a user id": _error_whose_id_is_an_id,
    "an HTML page": _html_page,
}


def _shows_an_error(scenario: Scenario, fault: str) -> bool:
    """The scenario's reply is about the fault: anything but a 429 waited out (every answer is read, a revoking
    POST's too: it counts only with its ``{"status": "OK"}``)."""
    return fault not in FAULTS or not (FAULTS[fault].rate_limit and scenario.patient)


TEXT_CASES = [(s, f) for s in SCENARIOS for f in [*FAULTS, *MORE_FAULTS] if _shows_an_error(SCENARIOS[s], f)]


@pytest.fixture
def bot(make_bot) -> BotServer:
    return make_bot(mattermost_timeout_s=TIMEOUT_S)


def assert_no_endpoint_and_no_id_not_typed(text: str, typed: str) -> None:
    assert not ENDPOINT.search(text), text
    assert [found for found in AN_ID.findall(text) if found not in typed] == [], text


@pytest.mark.parametrize(("scenario_name", "fault_name"), TEXT_CASES)
def test_what_a_fault_shows_the_caller_names_no_endpoint_and_no_id_they_did_not_type(
        world, bot, scenario_name, fault_name):
    scenario = SCENARIOS[scenario_name]
    inject = FAULTS[fault_name].inject if fault_name in FAULTS else MORE_FAULTS[fault_name]
    path, typed = scenario.path(world), scenario.text(world)
    text = run_scenario(world, bot, scenario, lambda: inject(world, scenario.method, path))
    if fault_name == "timeout":  # the stand-in finishes the call late: let it, before the world goes away
        eventually(lambda: any(e for e in world.calls(scenario.method, path) if e.notes), "the late answer")
    assert "Traceback" not in text and "went wrong in the sessions bot" not in text, text
    assert_no_endpoint_and_no_id_not_typed(text, typed)


def test_the_detail_a_reply_leaves_out_is_in_the_log(world, bot, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    _html_page(world, "GET", rf"^/api/v4/users/{uid(world, 'bob')}/sessions$")
    text = type_(world, bot, "bob", "list").visible_text
    assert text.startswith("⚠️ Mattermost's answer was not what the sessions bot expected.")
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.web.running"]
    assert f"GET /users/{uid(world, 'bob')}/sessions did not answer JSON" in line


# --- a 429 the bot does not wait out --------------------------------------------------------------

def _rate_limited(retry_after_s: int) -> Callable[[World, str, str], object]:
    return lambda w, m, p: w.faults.rate_limit(p, method=m, times=1, retry_after_s=retry_after_s)


def _bare_429(headers: dict[str, str]) -> Callable[[World, str, str], object]:
    """A 429 with only these headers: a proxy's, or a limiter other than Mattermost's (which sends both
    ``Retry-After`` and ``X-Ratelimit-Reset``, ``server/channels/app/ratelimit.go``)."""
    return lambda w, m, p: w.faults.add(p, method=m, status=429, body=b"limit exceeded\n", times=1,
                                        content_type="text/plain; charset=utf-8", headers=headers)


WAITS = {
    "Retry-After: 7": (_rate_limited(7), "Mattermost is busy; try again in 7 seconds."),
    "Retry-After: 1": (_rate_limited(1), "Mattermost is busy; try again in 1 second."),
    "Retry-After: 300": (_rate_limited(300), "Mattermost is busy; try again in 5 minutes."),
    "X-Ratelimit-Reset: 3 only": (_bare_429({"X-Ratelimit-Reset": "3"}), "Mattermost is busy; try again in 3 seconds."),
    "no header": (_bare_429({}), "Mattermost is busy; try again in a few seconds."),
    "Retry-After: inf": (_bare_429({"Retry-After": "inf"}), "Mattermost is busy; try again in a few seconds."),
}

#: The commands whose faulted call is sent once (a 429 on it is not waited out).
SINGLE = [name for name, scenario in SCENARIOS.items() if not scenario.patient]


@pytest.mark.parametrize("wait", list(WAITS))
@pytest.mark.parametrize("scenario_name", SINGLE)
def test_a_429_on_a_single_call_says_mattermost_is_busy_and_when_to_try_again(
        world, bot, caplog, bot_waits, scenario_name, wait):
    caplog.set_level(logging.INFO, logger="bot.audit")
    scenario = SCENARIOS[scenario_name]
    inject, says = WAITS[wait]
    untouched, path = scenario.untouched(world), scenario.path(world)
    text = run_scenario(world, bot, scenario, lambda: inject(world, scenario.method, path))
    assert text.startswith(f"⚠️ {says}"), text
    assert "unexpected error" not in text and "HTTP 429" not in text and "✅" not in text
    assert scenario.untouched(world) == untouched  # the limiter refused before any handler ran: nothing done
    assert [e.status for e in world.calls(scenario.method, path)] == [429] and bot_waits.seconds == []
    mine = [r for r in audit_records(caplog) if (r["action"], r["target_username"]) == (scenario.action, scenario.target)]
    assert [(r["result"], r["reason"]) for r in mine] == [("failed", "UpstreamRejected")]
