"""bot.ops.metrics: counters move, ids never become labels, /metrics serves valid text, workers add up."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests
from flask import Flask
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot.ops import metrics
from bot.web.app import create_app
from tests.support.settings import bot_settings

ROOT = Path(__file__).resolve().parents[2]
USER_ID = "4xq8r5cfwjfg3jk7hb1mzd9yeo"
SESSION_ID = "pm3ncmz9xfyb9ju3b7tmhqzxer"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- endpoint templates ---------------------------------------------------------------------------

@pytest.mark.parametrize("path, template", [
    ("/users/me", "/users/me"),
    (f"/users/{USER_ID}", "/users/{user_id}"),
    (f"/users/{USER_ID}/sessions", "/users/{user_id}/sessions"),
    (f"/users/{USER_ID}/sessions/revoke", "/users/{user_id}/sessions/revoke"),
    (f"/users/{USER_ID}/sessions/revoke/all", "/users/{user_id}/sessions/revoke/all"),
    ("/users/username/alice", "/users/username/{username}"),
    ("/users/username/me", "/users/username/{username}"),
    ("/users/username/sessions", "/users/username/{username}"),
    ("/users/email/alice%40example.com", "/users/email/{email}"),
    ("/roles/names", "/roles/names"),
    ("/roles/name/system_admin", "/roles/name/{name}"),
    ("/channels/direct", "/channels/direct"),
    ("/posts", "/posts"),
    ("/posts/ephemeral", "/posts/ephemeral"),
    ("/hooks/commands/" + "h" * 26, "/hooks/commands/{id}"),  # the hook id is a secret: never a label
    (f"/api/v4/users/{USER_ID}/sessions?page=0", "/users/{user_id}/sessions"),
    (f"/users/{USER_ID}/sessions/{SESSION_ID}/", "/users/{user_id}/sessions/{session_id}"),
    (f"/widgets/{USER_ID}/bob@example.com", "/{value}/{id}/{value}"),
    ("/", "/"),
])
def test_endpoint_templates(path, template):
    assert metrics.endpoint_template(path) == template


# --- counters -----------------------------------------------------------------------------------

def test_observe_upstream_counts_by_template_and_never_by_id():
    labels = {"method": "GET", "endpoint": "/users/{user_id}/sessions"}
    before = sample("sessions_bot_mattermost_requests_total", status="200", **labels)
    before_count = sample("sessions_bot_mattermost_request_duration_seconds_count", **labels)
    before_sum = sample("sessions_bot_mattermost_request_duration_seconds_sum", **labels)
    metrics.observe_upstream("get", f"/users/{USER_ID}/sessions", 200, 0.25)
    metrics.observe_upstream("GET", f"/users/{SESSION_ID}/sessions", 200, 0.25)
    assert sample("sessions_bot_mattermost_requests_total", status="200", **labels) == before + 2
    assert sample("sessions_bot_mattermost_request_duration_seconds_count", **labels) == before_count + 2
    assert sample("sessions_bot_mattermost_request_duration_seconds_sum", **labels) == pytest.approx(before_sum + 0.5)
    text = metrics.exposition()[0].decode()
    assert USER_ID not in text and SESSION_ID not in text


@pytest.mark.parametrize("status, label", [(404, "404"), ("503", "503"), ("timeout", "timeout"),
                                           ("connection_error", "connection_error"), ("teapot", "other"), (0, "other")])
def test_upstream_status_labels(status, label):
    labels = {"method": "POST", "endpoint": "/posts", "status": label}
    before = sample("sessions_bot_mattermost_requests_total", **labels)
    metrics.observe_upstream("POST", "/posts", status, 0.01)
    assert sample("sessions_bot_mattermost_requests_total", **labels) == before + 1


def test_odd_methods_are_one_label():
    before = sample("sessions_bot_mattermost_requests_total", method="OTHER", endpoint="/posts", status="200")
    metrics.observe_upstream("BREW", "/posts", 200, 0.01)
    assert sample("sessions_bot_mattermost_requests_total", method="OTHER", endpoint="/posts", status="200") == before + 1


def test_upstream_call_times_answers_and_failures():
    labels = {"method": "POST", "endpoint": "/users/{user_id}/sessions/revoke"}
    path = f"/users/{USER_ID}/sessions/revoke"

    def count(status: str) -> float:
        return sample("sessions_bot_mattermost_requests_total", status=status, **labels)

    before = {s: count(s) for s in ("200", "400", "timeout", "connection_error", "error")}
    with metrics.upstream_call("POST", path) as call:
        call.status = 200
    with pytest.raises(requests.HTTPError), metrics.upstream_call("POST", path) as call:
        call.status = 400  # the answer came, then the client raised for its status: it counts as 400
        raise requests.HTTPError("400")
    with pytest.raises(requests.ReadTimeout), metrics.upstream_call("POST", path):
        raise requests.ReadTimeout()
    with pytest.raises(requests.ConnectTimeout), metrics.upstream_call("POST", path):
        raise requests.ConnectTimeout()
    with pytest.raises(requests.ConnectionError), metrics.upstream_call("POST", path):
        raise requests.ConnectionError()
    with pytest.raises(RuntimeError), metrics.upstream_call("POST", path):
        raise RuntimeError()
    after = {s: count(s) for s in before}
    assert {s: after[s] - before[s] for s in before} == {"200": 1, "400": 1, "timeout": 2, "connection_error": 1, "error": 1}


def test_commands_and_refusals_are_counted_with_tame_labels():
    before = sample("sessions_bot_commands_total", subcommand="revoke-all", outcome="ok")
    metrics.record_command("revoke-all", "ok")
    metrics.record_command("revoke-all", "ok")
    assert sample("sessions_bot_commands_total", subcommand="revoke-all", outcome="ok") == before + 2

    before = {r: sample("sessions_bot_refusals_total", reason=r) for r in ("forged_button", "rate_limited", "unknown")}
    metrics.record_refusal("ForgedButton")
    metrics.record_refusal("rate_limited")
    metrics.record_refusal("")
    assert {r: sample("sessions_bot_refusals_total", reason=r) - before[r] for r in before} == {
        "forged_button": 1, "rate_limited": 1, "unknown": 1}


# --- /metrics and route timing ------------------------------------------------------------------

def small_app(**options) -> Flask:
    app = Flask(__name__)

    @app.get("/things/<thing_id>")
    def thing(thing_id: str) -> str:
        metrics.record_command("list", "ok")
        return thing_id

    metrics.register(app, **options)
    return app


def families(text: str) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_metrics_endpoint_serves_valid_prometheus_text():
    client = small_app().test_client()
    metrics.record_refusal("needs_edit_other_users")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and "version=" in response.content_type
    parsed = families(response.get_data(as_text=True))
    for name in ("sessions_bot_commands", "sessions_bot_refusals", "sessions_bot_mattermost_requests",
                 "sessions_bot_mattermost_request_duration_seconds", "sessions_bot_http_request_duration_seconds"):
        assert name in parsed
    assert parsed["sessions_bot_commands"].type == "counter"
    assert parsed["sessions_bot_http_request_duration_seconds"].type == "histogram"


def test_openmetrics_is_served_when_asked_for():
    response = small_app().test_client().get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.status_code == 200 and response.mimetype == "application/openmetrics-text"
    assert response.get_data(as_text=True).rstrip().endswith("# EOF")


def test_routes_are_timed_by_their_rule_not_their_path():
    client = small_app().test_client()
    labels = {"method": "GET", "route": "/things/<thing_id>", "status": "200"}
    before = sample("sessions_bot_http_request_duration_seconds_count", **labels)
    before_missing = sample("sessions_bot_http_request_duration_seconds_count", method="GET", route="unmatched", status="404")
    client.get(f"/things/{USER_ID}")
    client.get("/things/other")
    client.get(f"/nowhere/{USER_ID}")
    assert sample("sessions_bot_http_request_duration_seconds_count", **labels) == before + 2
    assert sample("sessions_bot_http_request_duration_seconds_count", method="GET", route="unmatched", status="404") == before_missing + 1
    assert USER_ID not in client.get("/metrics").get_data(as_text=True)


def test_metrics_can_require_a_bearer_token():
    client = small_app(token="scrape-token-0123456789").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"}).status_code == 200


def test_the_real_bot_app_times_its_routes_and_error_replies():
    app = create_app(bot_settings("http://127.0.0.1:9", "bot-token-that-is-never-used"))
    client = app.test_client()
    rejected = {"method": "POST", "route": "/slash/sessions", "status": "401"}
    before = sample("sessions_bot_http_request_duration_seconds_count", **rejected)
    before_health = sample("sessions_bot_http_request_duration_seconds_count", method="GET", route="/healthz", status="200")
    assert client.post("/slash/sessions", data={"token": "forged", "user_id": USER_ID, "text": "list"}).status_code == 401
    assert client.get("/healthz").status_code == 200
    assert sample("sessions_bot_http_request_duration_seconds_count", **rejected) == before + 1
    assert sample("sessions_bot_http_request_duration_seconds_count", method="GET", route="/healthz", status="200") == before_health + 1
    assert client.get("/metrics").status_code == 200


# --- several processes --------------------------------------------------------------------------

MULTIPROCESS_SCRIPT = textwrap.dedent("""
    import json, multiprocessing, os
    from bot.ops import metrics

    def worker(n):
        for _ in range(n):
            metrics.record_command("revoke", "ok")
        metrics.observe_upstream("GET", "/users/4xq8r5cfwjfg3jk7hb1mzd9yeo/sessions", 200, 0.1)

    if __name__ == "__main__":
        stale = os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "counter_999999.db")
        open(stale, "wb").close()
        metrics.clear_multiprocess_dir()
        cleared = not os.path.exists(stale)
        context = multiprocessing.get_context("fork")
        pids = []
        for n in (3, 4):
            child = context.Process(target=worker, args=(n,))
            child.start()
            child.join()
            pids.append(child.pid)
            metrics.mark_worker_dead(child.pid)
        from flask import Flask
        app = Flask("scrape")
        metrics.register(app)
        body = app.test_client().get("/metrics").get_data(as_text=True)
        print(json.dumps({"cleared": cleared, "pids": pids, "body": body,
                          "files": sorted(os.listdir(os.environ["PROMETHEUS_MULTIPROC_DIR"]))}))
""")


def test_multiprocess_mode_adds_up_every_process(tmp_path):
    directory = tmp_path / "prometheus"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    result = subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["cleared"]
    assert {f"counter_{pid}.db" for pid in report["pids"]} <= set(report["files"])
    parsed = families(report["body"])
    commands = {tuple(sorted(s.labels.items())): s.value for s in parsed["sessions_bot_commands"].samples
                if s.name == "sessions_bot_commands_total"}
    assert commands == {(("outcome", "ok"), ("subcommand", "revoke")): 7.0}
    upstream = [s for s in parsed["sessions_bot_mattermost_requests"].samples if s.name.endswith("_total")]
    assert [(s.labels["endpoint"], s.value) for s in upstream] == [("/users/{user_id}/sessions", 2.0)]
    assert "4xq8r5cfwjfg3jk7hb1mzd9yeo" not in report["body"]


def make_counting_app() -> Flask:
    """Served by gunicorn in the test below: ``/count`` counts a command in whichever worker takes it."""
    app = Flask("counting")

    @app.get("/count")
    def count() -> str:
        metrics.record_command("list", "ok")
        return "counted"

    @app.after_request
    def say_who(response):
        response.headers["X-Worker"] = str(os.getpid())
        return response

    metrics.register(app)
    return app


#: What gunicorn.conf.py is to gain (the lead's wiring), around the counting app.
GUNICORN_CONFIG = textwrap.dedent("""
    import os, tempfile
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sessions-bot-metrics-")
    bind = "127.0.0.1:{port}"
    worker_class = "gthread"
    workers = 2
    threads = 2
    keepalive = 0

    def on_starting(server):
        from bot.ops.metrics import clear_multiprocess_dir
        clear_multiprocess_dir()

    def child_exit(server, worker):
        from bot.ops.metrics import mark_worker_dead
        mark_worker_dead(worker.pid)
""")


def test_under_gunicorn_any_worker_serves_the_total_of_all_workers(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(GUNICORN_CONFIG.format(port=port))
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["TMPDIR"] = str(tmp_path)  # where the configuration makes its directory, since none is set
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen([gunicorn, "-c", str(config), "tests.ops.test_metrics:make_counting_app()"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(url + "/metrics", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy starting (slow machines)
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "gunicorn did not start in 20 s"
                time.sleep(0.1)
        sent, workers = 0, set()
        while len(workers) < 2 and sent < 400:  # a new connection each time: until both workers took some
            workers.add(requests.get(url + "/count", timeout=5).headers["X-Worker"])
            sent += 1
        if len(workers) < 2:
            pytest.skip("one gunicorn worker took every connection")
        scraped_by: set[str] = set()
        for _ in range(400):  # each worker's /metrics reports all of them, not its own share
            response = requests.get(url + "/metrics", timeout=5)
            parsed = families(response.text)
            totals = [s.value for s in parsed["sessions_bot_commands"].samples
                      if s.name == "sessions_bot_commands_total" and s.labels == {"subcommand": "list", "outcome": "ok"}]
            assert totals == [float(sent)]
            scraped_by.add(response.headers["X-Worker"])
            if scraped_by == workers:
                break
        assert scraped_by == workers
        assert [p.name for p in tmp_path.glob("sessions-bot-metrics-*/counter_*.db")]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
