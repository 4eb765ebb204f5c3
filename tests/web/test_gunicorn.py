"""The Procfile's command for real: gunicorn with gunicorn.conf.py, configured only through the environment.

On sockets (``pytest.mark.sockets``): gunicorn is a separate process, which reaches the stand-in only over
a real socket; and what is tested (start-up, SIGTERM, keep-alive) is the real server's.
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
import requests

from bot.sandbox import buttons_of, click_button, run_slash_command
from bot.web.gate import action_key
from tests.support.settings import BOT_SECRET, COMMAND_TOKEN

pytestmark = pytest.mark.sockets

ROOT = Path(__file__).resolve().parents[2]


def procfile_command() -> list[str]:
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    argv = shlex.split(line.removeprefix("web:"))
    assert argv[0] == "gunicorn"
    return [str(Path(sys.executable).with_name("gunicorn")), *argv[1:]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MATTERMOST_URL", "MATTERMOST_TOKEN", "SLASH_COMMAND_TOKENS", "BOT_SECRET")}
    env.update(variables, WEB_CONCURRENCY="2", GUNICORN_THREADS="4")
    return env


def start_gunicorn(world, mattermost) -> tuple[subprocess.Popen, str]:
    """gunicorn as the Procfile runs it, with buttons on, once it answers ``/healthz``."""
    port = free_port()
    env = environment(
        PORT=str(port), MATTERMOST_URL=mattermost.url, MATTERMOST_TOKEN=world.bot_token,
        SLASH_COMMAND_TOKENS=f"other-team-token,{COMMAND_TOKEN}", BOT_SECRET=BOT_SECRET, MATTERMOST_TIMEOUT_S="2",
        BOT_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    process = subprocess.Popen(procfile_command(), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return process, url
        except (requests.ConnectionError, requests.Timeout):
            pass
        if process.poll() is not None or time.monotonic() >= deadline:
            process.kill()
            raise AssertionError(f"gunicorn did not start in 20 s: {process.communicate(timeout=30)[0]}")
        time.sleep(0.1)


def stop_gunicorn(process: subprocess.Popen) -> str:
    """SIGTERM, and everything gunicorn wrote."""
    process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=30)[0]


@pytest.fixture
def gunicorn_bot(world, mattermost) -> Iterator[str]:
    process, url = start_gunicorn(world, mattermost)
    try:
        yield url
    finally:
        output = stop_gunicorn(process)
        assert COMMAND_TOKEN not in output and world.bot_token not in output
        access = [json.loads(line) for line in output.splitlines() if '"gunicorn.access"' in line]
        assert access and all(len(line["request_id"]) == 32 for line in access)


def test_gunicorn_serves_the_slash_command_end_to_end(gunicorn_bot, world):
    result = run_slash_command(world, gunicorn_bot + "/slash/sessions", COMMAND_TOKEN, "usermanager", "revoke-all @bob --yes")
    assert result.status == 200 and result.visible_text.startswith("✅ Signed @bob out of")
    assert world.sessions_of(world.user_by_username("bob")["id"]) == []
    assert run_slash_command(world, gunicorn_bot + "/slash/sessions", "forged", "alice", "list").status == 401


def test_gunicorn_refuses_to_start_with_a_clear_message_when_configuration_is_missing():
    result = subprocess.run(procfile_command(), cwd=ROOT, env=environment(PORT=str(free_port())), capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "MATTERMOST_URL: is required but not set" in output and "BOT_SECRET: is required but not set" in output
    assert "Traceback" not in output


def test_gunicorns_access_log_never_shows_the_button_path_and_writes_nothing_for_a_path_the_bot_does_not_serve(
        world, mattermost):
    process, url = start_gunicorn(world, mattermost)
    try:
        alice = world.user_by_username("alice")["id"]
        run_slash_command(world, url + "/slash/sessions", COMMAND_TOKEN, "alice", "list")
        post = world.ephemeral_posts_for(alice)[-1]
        assert click_button(world, post["id"], buttons_of(post)[0]["id"], "alice").error is None
        for path in ("/wp-login.php", "/actions", "/actions/x"):
            assert requests.post(url + path, data={"user_id": alice}, timeout=5).status_code == 404
    finally:
        output = stop_gunicorn(process)
    key = action_key(BOT_SECRET)
    access = [json.loads(line) for line in output.splitlines() if '"gunicorn.access"' in line]
    assert key not in output and any(line["path"] == "/actions/<key>" and line["status"] == 200 for line in access)
    assert not any(line["path"].startswith(("/wp-login", "/actions/x")) or line["path"] == "/actions" for line in access)
    assert "/slash/sessions" in {line["path"] for line in access}


def test_any_gunicorn_worker_serves_any_click_because_nothing_is_stored(gunicorn_bot, world):
    alice = world.user_by_username("alice")["id"]
    post_id = run_slash_command(world, gunicorn_bot + "/slash/sessions", COMMAND_TOKEN, "alice", "list").post_id
    for _ in range(3):  # each click goes out on a new connection, to whichever worker takes it
        post = world.ephemeral_posts_for(alice)[-1]
        click = click_button(world, post["id"], buttons_of(post)[0]["id"], "alice")
        assert click.error is None
    assert len(world.sessions_of(alice)) == 1
    assert world.ephemeral_posts_for(alice)[-1]["message"].startswith("✅ Signed out of")
    assert post_id


def test_sigterm_lets_an_in_flight_command_finish(world, mattermost):
    port = free_port()
    env = environment(
        PORT=str(port), MATTERMOST_URL=mattermost.url, MATTERMOST_TOKEN=world.bot_token,
        SLASH_COMMAND_TOKENS=COMMAND_TOKEN, BOT_SECRET=BOT_SECRET, MATTERMOST_TIMEOUT_S="5",
    )
    process = subprocess.Popen(procfile_command(), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(url + "/healthz", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        world.faults.add(r"/sessions$", delay_s=1.5, times=1)  # Mattermost is slow for this one command
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(run_slash_command, world, url + "/slash/sessions", COMMAND_TOKEN, "alice", "list")
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            result = pending.result(timeout=30)
        assert result.status == 200 and result.visible_text.startswith("#### Your sessions")
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def test_dockerfile_runs_the_procfile_command_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert json.loads(cmd.removeprefix("CMD ")) == ["gunicorn", *procfile_command()[1:]]
    user = next(line for line in dockerfile.splitlines() if line.startswith("USER "))
    assert user.split()[1] not in ("root", "0")


def test_the_image_installs_the_wheel_which_carries_the_manifest_and_no_stand_in():
    """The image builds the wheel (with the manifest inside it, see tests/test_packaging.py) and installs only
    that in its final stage: no editable install, no source tree, so no stand-in."""
    text = (ROOT / "Dockerfile").read_text()
    build, final = text.split("\nFROM ", 2)[1:]
    assert "COPY manifest ./manifest" in build and "pip wheel" in build
    assert "RUN pip install --no-cache-dir /wheels/*.whl" in final and " -e " not in final
    assert "COPY bot" not in final and "sandbox" not in final


# --- the metrics directory ------------------------------------------------------------------------

def metrics_dirs(tmp: Path) -> set[str]:
    return {p.name for p in tmp.glob("sessions-bot-metrics-*")}


def wait_until_serving(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "gunicorn did not start in 20 s"
        time.sleep(0.1)


def test_gunicorn_removes_the_metrics_directory_it_made_when_it_stops_and_no_one_elses(world, mattermost, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp / "sessions-bot-metrics-another-bot").mkdir()  # another instance's, running or not: never touched
    port = free_port()
    env = environment(
        PORT=str(port), MATTERMOST_URL=mattermost.url, MATTERMOST_TOKEN=world.bot_token, TMPDIR=str(tmp),
        SLASH_COMMAND_TOKENS=COMMAND_TOKEN, BOT_SECRET=BOT_SECRET, MATTERMOST_TIMEOUT_S="2",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(procfile_command(), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, url)
        assert run_slash_command(world, url + "/slash/sessions", COMMAND_TOKEN, "alice", "list").status == 200
        [made] = metrics_dirs(tmp) - {"sessions-bot-metrics-another-bot"}
        assert list((tmp / made).glob("*.db")), "the workers write their metrics there"
        process.send_signal(signal.SIGHUP)  # gunicorn reads its configuration again and starts new workers
        time.sleep(2)
        wait_until_serving(process, url)
        assert metrics_dirs(tmp) == {made, "sessions-bot-metrics-another-bot"}  # the same one, still
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)
    assert metrics_dirs(tmp) == {"sessions-bot-metrics-another-bot"}
    assert list(tmp.iterdir()) == [tmp / "sessions-bot-metrics-another-bot"]


@pytest.mark.parametrize("named", [False, True], ids=["a directory it made", "the operator's directory"])
def test_gunicorn_refusing_to_start_leaves_no_metrics_directory_it_made_and_keeps_the_operators(tmp_path, named):
    tmp, own = tmp_path / "tmp", tmp_path / "operators-metrics"
    tmp.mkdir()
    own.mkdir()
    env = environment(PORT=str(free_port()), TMPDIR=str(tmp))  # no MATTERMOST_URL: on_starting refuses
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if named:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(own)
    result = subprocess.run(procfile_command(), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "MATTERMOST_URL: is required but not set" in result.stdout + result.stderr
    assert list(tmp.iterdir()) == [] and own.is_dir()


def test_a_master_started_by_sigusr2_after_a_sighup_makes_and_removes_its_own_metrics_directory(
        world, mattermost, tmp_path):
    """After a SIGHUP, a SIGUSR2 master inherits the variables (gunicorn hands it the environment as it was at
    the last reading of its configuration): it must not share, clear or outlive its parent's directory."""
    tmp, pidfile, log = tmp_path / "tmp", tmp_path / "gunicorn.pid", tmp_path / "gunicorn.log"
    tmp.mkdir()
    port = free_port()
    env = environment(
        PORT=str(port), MATTERMOST_URL=mattermost.url, MATTERMOST_TOKEN=world.bot_token, TMPDIR=str(tmp),
        SLASH_COMMAND_TOKENS=COMMAND_TOKEN, BOT_SECRET=BOT_SECRET, MATTERMOST_TIMEOUT_S="2",
        GUNICORN_CMD_ARGS=f"--pid {pidfile}",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = subprocess.Popen(procfile_command(), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(process, url)
        [first] = metrics_dirs(tmp)
        process.send_signal(signal.SIGHUP)
        time.sleep(2)
        process.send_signal(signal.SIGUSR2)  # a new master, its own workers, on the same socket
        deadline = time.monotonic() + 20
        while not (Path(f"{pidfile}.2").exists() and len(metrics_dirs(tmp)) == 2):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        new_pid = int(Path(f"{pidfile}.2").read_text())
        [second] = metrics_dirs(tmp) - {first}
        process.send_signal(signal.SIGTERM)  # the old master goes; the new one serves on
        assert process.wait(timeout=30) == 0
        assert metrics_dirs(tmp) == {second}
        assert run_slash_command(world, url + "/slash/sessions", COMMAND_TOKEN, "alice", "list").status == 200
        assert list((tmp / second).glob("*.db"))
        os.kill(new_pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while metrics_dirs(tmp):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            process.kill()
        for file in (Path(f"{pidfile}.2"), pidfile):  # the new master, however far the test got
            if file.exists() and (pid := int(file.read_text() or 0)) not in (0, process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    assert list(tmp.iterdir()) == []
