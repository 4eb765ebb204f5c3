"""The benchmark still runs, and its deterministic findings hold: how many Mattermost calls each command
makes, and that the bot reuses its keep-alive connections. Times are reported by the benchmark, never
asserted here (machines are noisy).

It runs small, a few seconds in all: 24 requests per scenario, a slow Mattermost answering after 0.3 s with a
reply budget of 0.8 s (so a one-call list answers at once and a three-call one defers), and a bulk sign-out of
40 users. Each finding is about counts and order, which hold at any size; ``python -m bench`` measures at full
size. On sockets, as the benchmark is: gunicorn processes on loopback."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLOW_LATENCY_S = 0.3
REPLY_BUDGET_S = 0.8  # above one slow call, below three
BULK_USERS = 40

pytestmark = pytest.mark.sockets


@pytest.fixture(scope="module")
def results() -> dict:
    run = subprocess.run([sys.executable, "-m", "bench", "--requests", "24", "--concurrency", "3",
                          "--slow-latency", str(SLOW_LATENCY_S), "--reply-budget", str(REPLY_BUDGET_S),
                          "--bulk-users", str(BULK_USERS), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def scenario(results: dict, name: str) -> dict:
    return next(row for row in results["scenarios"] if row["name"] == name)


def test_every_benchmarked_command_gets_the_right_answer(results):
    assert [row["errors"] for row in results["scenarios"]] == [0, 0, 0, 0]
    assert results["floor"]["trivial_route"]["errors"] == 0


@pytest.mark.parametrize(("name", "calls"), [("list (self)", 1), ("list @alice (admin)", 3),
                                             ("revoke <id> (self)", 2), ("revoke-all --yes (self)", 2)])
def test_each_command_makes_the_fewest_mattermost_calls_with_a_warm_cache(results, name, calls):
    # A worker the warm-up missed fills its caches (role definitions, the bot's own id) once, not per command.
    total = scenario(results, name)["upstream_calls_per_command"] * results["requests"]
    assert calls * results["requests"] <= round(total) <= calls * results["requests"] + 2 * results["workers"]


def test_the_bot_reuses_connections_instead_of_opening_one_per_call(results):
    for row in results["scenarios"]:
        calls = row["upstream_calls_per_command"] * results["requests"]
        assert row["connections_opened"] <= results["workers"] * results["threads"] < calls


def test_a_2000_session_list_fits_in_one_mattermost_message(results):
    rendered = results["render_2000_sessions"]
    assert rendered["table_chars"] < rendered["mattermost_limit_chars"]


def test_with_a_slow_mattermost_the_long_command_defers_to_response_url_and_the_short_one_does_not(results):
    short, long = results["slow_mattermost"]["commands"]
    assert short["reply"].startswith("#### Your sessions") and short["response_url_s"] is None
    assert long["reply"].startswith("⏳ Still working") and long["response_url_s"] is not None
    assert long["reply_s"] < 30  # Mattermost's own limit for a slash command


def test_the_bulk_case_signs_out_every_user_with_one_session_list_and_one_revocation_each(results):
    bulk = results["bulk_sign_out"]
    preview, confirmed = bulk["steps"]
    assert bulk["users"] == BULK_USERS
    assert preview["result"].startswith(f"**This will sign {BULK_USERS} users out of {bulk['sessions']} sessions**")
    assert confirmed["result"].startswith(f"✅ Signed {BULK_USERS} users out of {bulk['sessions']} sessions.")
    pages = -(-BULK_USERS // 200)  # of channel members, and batches of users by id
    lookups = 2 + pages + pages + 3  # the channel and its member count, its members, the users, the caller, roles, the bot's id
    assert preview["upstream_calls"] <= bulk["users"] + lookups
    notices = 2 * bulk["users"]  # a direct channel and a post per user signed out
    assert confirmed["upstream_calls"] <= 2 * bulk["users"] + lookups + notices
