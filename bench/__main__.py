"""``python -m bench [--requests N] [--concurrency C] [--json]``: the bot against the floor of its own stack.

``--slow-latency S``, ``--reply-budget S`` and ``--bulk-users N`` shrink the slow-Mattermost and bulk cases
(``tests/test_bench.py`` runs them small: what it checks holds at any size).

One run on loopback: the Mattermost stand-in (a forked gunicorn process), the bot exactly as the
Procfile runs it, and a trivial Flask route under the same gunicorn configuration. For each scenario
it prints requests/s, p50/p95/p99 latency, errors, Mattermost calls per command and the TCP
connections the bot opened to Mattermost; then the floor (the trivial route, and the raw Mattermost
calls the command needs made directly with mattermostdriver), the ratios bot/floor, the workers'
peak memory, and the in-process timings of rendering and of the permission check.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable
from unittest import mock

import mattermostdriver.client
import requests
from mattermostdriver import Driver

from bench import micro
from bench.load import LoadResult, drive
from bench.servers import Gunicorn, StandIn
from bot.core.model import User
from bot.replies.errors import STILL_WORKING
from bot.sandbox.world import World

COMMAND_TOKEN = "benchcommandtoken0000000000"
WORKERS, THREADS = 2, 8
CORES = os.cpu_count() or 1
SLOW_LATENCY_S = 2.0
BULK_USERS = 500


@dataclass(frozen=True)
class Scenario:
    """One kind of command: who types what (per request index), and what a right answer starts with."""

    name: str
    form: Callable[[int], dict[str, str]]
    expect: str


@dataclass
class Row:
    """A measured scenario."""

    name: str
    load: LoadResult
    upstream_calls_per_command: float
    connections_opened: int
    cpu_ms_per_command: dict[str, float]


class Fixture:
    """The seeded installation plus ``users`` extra users with three sessions each (for revoking)."""

    def __init__(self, users: int) -> None:
        self.world = World.seeded()
        self.channel = self.world.channel_by_name("town-square")
        self.bench_users = []
        for index in range(users):
            user = self.world.add_user(f"bench{index}", "system_user")
            sessions = [self.world.add_session(user["id"]) for _ in range(3)]
            self.bench_users.append((user, sessions))

    def form(self, user: dict[str, Any], text: str, hook_id: str | None = None) -> dict[str, str]:
        """The form Mattermost posts when ``user`` types ``/sessions text`` in town-square (``hook_id``: a
        response_url hook the stand-in knows; by default a made-up one, never used by fast commands)."""
        team = self.world.team
        return {
            "token": COMMAND_TOKEN, "team_id": team["id"], "team_domain": team["name"],
            "channel_id": self.channel["id"], "channel_name": self.channel["name"], "user_id": user["id"],
            "user_name": user["username"], "command": "/sessions", "text": text,
            "trigger_id": secrets.token_hex(13),
            "response_url": f"{self.world.site_url}/hooks/commands/{hook_id or secrets.token_hex(13)}",
        }

    def scenarios(self) -> list[Scenario]:
        alice, manager = (self.world.user_by_username(name) for name in ("alice", "usermanager"))
        return [
            Scenario("list (self)", lambda i: self.form(alice, "list"), "#### Your sessions"),
            Scenario("list @alice (admin)", lambda i: self.form(manager, "list @alice"), "#### @alice's sessions"),
            Scenario("revoke <id> (self)",
                     lambda i: self.form(self.bench_users[i][0], f"revoke {self.bench_users[i][1][0]['id']}"), "✅"),
            Scenario("revoke-all --yes (self)", lambda i: self.form(self.bench_users[i][0], "revoke-all --yes"), "✅"),
        ]


def _answered(expect: str) -> Callable[[requests.Response], bool]:
    return lambda response: response.status_code == 200 and response.json().get("text", "").startswith(expect)


def _cpu(bot: Gunicorn, standin: StandIn) -> dict[str, float]:
    return {"bot": bot.cpu_seconds(), "stand-in": standin.cpu_seconds(), "clients": time.process_time()}


def warm_up(bot_url: str, fixture: Fixture, concurrency: int) -> None:
    """Open the connections and fill each worker's caches (role definitions, the bot's own id) first."""
    alice, manager = (fixture.world.user_by_username(name) for name in ("alice", "usermanager"))
    forms = [fixture.form(alice, "list"), fixture.form(manager, "list @alice"), fixture.form(alice, "revoke zzzzzzzz")]
    drive(lambda http, i: http.post(bot_url + "/slash/sessions", data=forms[i % len(forms)]).ok,
          concurrency * 4 * len(forms), concurrency)


def run_scenario(bot: Gunicorn, standin: StandIn, scenario: Scenario, total: int, concurrency: int) -> Row:
    """Drive one scenario against the bot; the stand-in's counters give its upstream calls and connections,
    and ``/proc`` the CPU each side spent per command."""
    good = _answered(scenario.expect)
    standin.stats(reset=True)
    before = _cpu(bot, standin)
    load = drive(lambda http, i: good(http.post(bot.url + "/slash/sessions", data=scenario.form(i), timeout=35)),
                 total, concurrency)
    after = _cpu(bot, standin)
    stats = standin.stats()
    cpu = {side: (after[side] - before[side]) * 1000 / total for side in after}
    return Row(scenario.name, load, stats["requests"] / total, stats["connections"], cpu)


class _ThreadSessions:
    """Stands in for the ``requests`` module inside mattermostdriver: each thread's calls go through its
    own keep-alive session, so the floor is not paying for a new TCP connection per call."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __getattr__(self, method: str) -> Any:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return getattr(self._local.session, method)


def upstream_floor(standin: StandIn, calls: Callable[[Driver], None], total: int, concurrency: int) -> LoadResult:
    """The raw Mattermost calls of one command, made with mattermostdriver on keep-alive sessions."""
    drivers = threading.local()

    def send(_http: requests.Session, _index: int) -> bool:
        if not hasattr(drivers, "driver"):
            drivers.driver = Driver({"url": "127.0.0.1", "port": standin.port, "scheme": "http",
                                     "token": standin.world.bot_token})
            drivers.driver.client.token = standin.world.bot_token
        calls(drivers.driver)
        return True

    with mock.patch.object(mattermostdriver.client, "requests", _ThreadSessions()):
        return drive(send, total, concurrency)


def trivial_floor(env: dict[str, str], total: int, concurrency: int) -> tuple[LoadResult, dict[str, float]]:
    """A route that answers a constant ephemeral reply, under the bot's gunicorn configuration; its load
    and the CPU (ms per request) of the server and the clients."""
    form = {"token": COMMAND_TOKEN, "text": "list"}
    with Gunicorn("bench.trivial:app", env, WORKERS, THREADS) as trivial:
        drive(lambda http, i: http.post(trivial.url + "/slash/sessions", data=form).ok, concurrency * 4, concurrency)
        before = (trivial.cpu_seconds(), time.process_time())
        load = drive(lambda http, i: http.post(trivial.url + "/slash/sessions", data=form, timeout=35).ok,
                     total, concurrency)
        after = (trivial.cpu_seconds(), time.process_time())
    return load, {"bot": (after[0] - before[0]) * 1000 / total, "clients": (after[1] - before[1]) * 1000 / total}


def measure(total: int, concurrency: int, *, slow_latency_s: float = SLOW_LATENCY_S, reply_budget_s: float | None = None,
            bulk_users: int = BULK_USERS) -> dict[str, Any]:
    """Run every measurement and return the results as plain data. The slow-Mattermost case answers every call
    after ``slow_latency_s``; it and the bulk case (``bulk_users`` users) run the bot with ``REPLY_BUDGET_S`` set to
    ``reply_budget_s`` (default: the bot's own default)."""
    fixture = Fixture(users=total)
    world = fixture.world
    alice, manager = (world.user_by_username(name) for name in ("alice", "usermanager"))
    with StandIn(world) as standin:
        env = {"MATTERMOST_URL": standin.url, "MATTERMOST_TOKEN": world.bot_token, "SLASH_COMMAND_TOKENS": COMMAND_TOKEN,
               "BOT_SECRET": secrets.token_urlsafe(32), "LOG_LEVEL": "WARNING",
               # One admin lists @alice hundreds of times a second: a load test, not a person at LOOKUP_RATE_LIMIT.
               "LOOKUP_RATE_LIMIT": "1000000 per minute"}
        with Gunicorn("bot.web.wsgi:app", env, WORKERS, THREADS) as bot:
            scenarios = fixture.scenarios()
            warm_up(bot.url, fixture, concurrency)
            rows = [run_scenario(bot, standin, scenario, total, concurrency) for scenario in scenarios]
            rss = bot.worker_peak_rss_mb()
        floors = {
            "list (self)": upstream_floor(standin, lambda d: d.users.get_user_sessions(alice["id"]), total, concurrency),
            "list @alice (admin)": upstream_floor(standin, lambda d: (d.users.get_user_by_username("alice"),
                                                                      d.users.get_user(manager["id"]),
                                                                      d.users.get_user_sessions(alice["id"])),
                                                  total, concurrency),
        }
        permission = micro.permission_check(standin.url, world.bot_token, frozenset({"system_user",
                                                                                     "system_user_manager"}),
                                            User.from_api(alice))
    trivial, trivial_cpu = trivial_floor(env, total, concurrency)
    budget = {} if reply_budget_s is None else {"REPLY_BUDGET_S": str(reply_budget_s)}
    slow = slow_mattermost(slow_latency_s, {**env, **budget})
    bulk = bulk_sign_out({**env, **budget}, users=bulk_users)
    return {
        "requests": total, "concurrency": concurrency, "workers": WORKERS, "threads": THREADS, "cores": CORES,
        "scenarios": [{"name": r.name, **_load(r.load), "upstream_calls_per_command": r.upstream_calls_per_command,
                       "connections_opened": r.connections_opened, "cpu_ms_per_command": r.cpu_ms_per_command}
                      for r in rows],
        "floor": {"trivial_route": _load(trivial), "trivial_route_cpu_ms": trivial_cpu, "upstream": {name: _load(f) for name, f in floors.items()}},
        "ratios": {name: {"p50_vs_floor": row.load.p50_ms / (trivial.p50_ms + floors[name].p50_ms),
                          "throughput_vs_trivial": row.load.rps / trivial.rps,
                          "throughput_vs_cpu_ceiling": row.load.rps * sum(row.cpu_ms_per_command.values())
                          / (1000 * CORES)}
                   for row in rows for name in [row.name] if name in floors},
        "worker_peak_rss_mb": rss,
        "render_2000_sessions": micro.render_big_list(),
        "permission_check": permission,
        "slow_mattermost": {"latency_s": slow_latency_s, "reply_budget_s": reply_budget_s, "commands": slow},
        "bulk_sign_out": bulk,
    }


def slow_mattermost(latency_s: float, env: dict[str, str]) -> list[dict[str, Any]]:
    """One ``list`` (1 call) and one admin ``list @alice`` (3 calls) against a stand-in answering every call
    after ``latency_s``: when the direct reply came, what it said, and when the reply via response_url came."""
    fixture = Fixture(users=0)
    world = fixture.world
    alice, manager = (world.user_by_username(name) for name in ("alice", "usermanager"))
    cases = [("list (self)", alice, "list"), ("list @alice (admin)", manager, "list @alice")]
    hooks = [world.create_command_webhook(user["id"], fixture.channel["id"])["id"] for _, user, _ in cases]
    results = []
    with StandIn(world, latency_s=latency_s) as standin, \
            Gunicorn("bot.web.wsgi:app", {**env, "MATTERMOST_URL": standin.url}, WORKERS, THREADS) as bot:
        for (name, user, text), hook in zip(cases, hooks):
            standin.stats(reset=True)
            started = time.perf_counter()
            answer = requests.post(bot.url + "/slash/sessions", data=fixture.form(user, text, hook), timeout=35)
            replied = time.perf_counter() - started
            deferred = answer.json().get("text") == STILL_WORKING
            while deferred and standin.stats()["hook_calls"] == 0 and time.perf_counter() - started < 30:
                time.sleep(0.05)
            late = time.perf_counter() - started if standin.stats()["hook_calls"] else None
            results.append({"name": name, "reply_s": replied, "reply": answer.json().get("text", "")[:60],
                            "response_url_s": late})
    return results


def bulk_sign_out(env: dict[str, str], users: int = BULK_USERS, sessions_each: int = 5) -> dict[str, Any]:
    """An admin previews, then confirms, ``revoke-all ~all-hands`` for a channel of ``users`` users with
    ``sessions_each`` sessions each: wall time until the final answer, and the Mattermost calls made."""
    fixture = Fixture(users=0)
    world = fixture.world
    manager = world.user_by_username("usermanager")
    crowd = world.add_users("crowd", users, sessions_each=sessions_each)
    world.add_channel("all-hands", members=[u["username"] for u in crowd] + ["usermanager"])
    hooks = [world.create_command_webhook(manager["id"], fixture.channel["id"])["id"] for _ in range(2)]
    steps = []
    with StandIn(world) as standin, Gunicorn("bot.web.wsgi:app", {**env, "MATTERMOST_URL": standin.url}, WORKERS,
                                             THREADS) as bot:
        for text, hook, final in (("revoke-all ~all-hands", hooks[0], "**This will sign"),
                                  ("revoke-all ~all-hands --yes", hooks[1], "✅")):
            standin.stats(reset=True)
            started = time.perf_counter()
            answer = requests.post(bot.url + "/slash/sessions", data=fixture.form(manager, text, hook), timeout=35)
            replied = time.perf_counter() - started
            finished = answer.json().get("text", "")
            while not finished.startswith(final) and time.perf_counter() - started < 120:
                finished = next((t for t in standin.stats()["hook_texts"] if t.startswith(final)), "")
                time.sleep(0.02)
            stats = standin.stats()
            steps.append({"command": text, "reply_s": replied, "done_s": time.perf_counter() - started,
                          "result": finished[:60], "upstream_calls": stats["requests"] - stats["hook_calls"],
                          "progress_messages": sum(t.startswith("⏳ Signing out") for t in stats["hook_texts"])})
    return {"users": users, "sessions": users * sessions_each, "steps": steps}


def _load(result: LoadResult) -> dict[str, float]:
    return {"rps": result.rps, **{k: v for k, v in asdict(result).items() if k != "seconds"}}


def _cpu_cell(cpu: dict[str, float]) -> str:
    return ", ".join(f"{cpu.get(side, 0.0):.2f}" for side in ("bot", "stand-in", "clients"))


def table(results: dict[str, Any]) -> str:
    """The results as a Markdown table plus a few lines, as the README shows them."""
    lines = [f"{results['requests']} requests per scenario, {results['concurrency']} concurrent clients, "
             f"bot: {results['workers']} gunicorn workers × {results['threads']} threads", "",
             "| Scenario | req/s | p50 ms | p95 ms | p99 ms | errors | Mattermost calls/command | connections opened "
             "| CPU ms/command: bot, stand-in, clients |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in results["scenarios"]:
        lines.append(f"| {row['name']} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
                     f"{row['p99_ms']:.1f} | {row['errors']} | {row['upstream_calls_per_command']:.2f} | "
                     f"{row['connections_opened']} | {_cpu_cell(row['cpu_ms_per_command'])} |")
    trivial = results["floor"]["trivial_route"]
    lines.append(f"| floor (a): trivial route | {trivial['rps']:.0f} | {trivial['p50_ms']:.1f} | "
                 f"{trivial['p95_ms']:.1f} | {trivial['p99_ms']:.1f} | {trivial['errors']} | 0 | – | "
                 f"{_cpu_cell(results['floor']['trivial_route_cpu_ms'])} |")
    for name, floor in results["floor"]["upstream"].items():
        lines.append(f"| floor (b): raw calls of {name} | {floor['rps']:.0f} | {floor['p50_ms']:.1f} | "
                     f"{floor['p95_ms']:.1f} | {floor['p99_ms']:.1f} | {floor['errors']} | – | – | – |")
    lines.append("")
    for name, ratio in results["ratios"].items():
        lines.append(f"{name}: p50 = {ratio['p50_vs_floor']:.2f} × floor (a)+(b); "
                     f"throughput = {ratio['throughput_vs_trivial']:.0%} of the trivial route, "
                     f"{ratio['throughput_vs_cpu_ceiling']:.0%} of what {results['cores']} cores allow for the CPU "
                     "all three sides spend per command")
    render_2000 = results["render_2000_sessions"]
    permission = results["permission_check"]
    lines += [
        "worker peak RSS: " + ", ".join(f"{mb:.1f} MiB" for mb in results["worker_peak_rss_mb"]),
        f"render 2,000 sessions: table {render_2000['table_ms']:.1f} ms ({render_2000['table_chars']} chars, "
        f"limit {render_2000['mattermost_limit_chars']}), cards with signed buttons "
        f"{render_2000['cards_with_signed_buttons_ms']:.1f} ms",
        f"permission check: cold role cache {permission['cold_ms']:.2f} ms, warm {permission['warm_ms'] * 1000:.0f} µs",
    ]
    slow = results["slow_mattermost"]
    for case in slow["commands"]:
        late = f"{case['response_url_s']:.1f} s" if case["response_url_s"] is not None else "never (not needed)"
        lines.append(f"Mattermost answering each call after {slow['latency_s']:g} s, {case['name']}: "
                     f"reply after {case['reply_s']:.1f} s ({case['reply']!r}), via response_url after {late}")
    bulk = results["bulk_sign_out"]
    for step in bulk["steps"]:
        lines.append(f"bulk, {bulk['users']} users × {bulk['sessions'] // bulk['users']} sessions, "
                     f"`{step['command']}`: first answer after {step['reply_s']:.1f} s, done after "
                     f"{step['done_s']:.1f} s, {step['upstream_calls']} Mattermost calls, "
                     f"{step['progress_messages']} progress messages ({step['result']!r})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, print the table (or JSON)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario (default 400)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--slow-latency", type=float, default=SLOW_LATENCY_S, metavar="S",
                        help=f"how late the slow stand-in answers each call (default {SLOW_LATENCY_S:g} s)")
    parser.add_argument("--reply-budget", type=float, default=None, metavar="S",
                        help="REPLY_BUDGET_S of the bot in the slow and bulk cases (default: the bot's default)")
    parser.add_argument("--bulk-users", type=int, default=BULK_USERS, metavar="N",
                        help=f"users in the bulk sign-out's channel (default {BULK_USERS})")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    results = measure(args.requests, args.concurrency, slow_latency_s=args.slow_latency,
                      reply_budget_s=args.reply_budget, bulk_users=args.bulk_users)
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
