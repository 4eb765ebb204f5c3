"""CI: the wheel built from this checkout installs and serves on its own, outside the checkout.

Builds the wheel, installs it into a fresh virtualenv in a temporary folder, and from there (with no
checkout on the path): checks it carries the manifest and not the Mattermost stand-in, loads the manifest
from the installed package, starts gunicorn on the installed ``bot.web.wsgi:app`` with the project's
gunicorn.conf.py copied beside it (as the Docker image does), and expects 200 from ``/healthz``; and
``sessions-bot demo`` says plainly that the stand-in comes with the development install.

Usage: python .ci/check_wheel.py   (exit status 0 when all of that holds)
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout}\n{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sessions-bot-wheel-") as scratch:
        work = Path(scratch)
        source = work / "source"  # a clean copy: no build/ or egg-info left over from a development install
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info",
                                                                        "__pycache__", ".pytest_cache", ".hypothesis"))
        run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), ".", cwd=source)
        [wheel] = (work / "dist").glob("*.whl")
        names = zipfile.ZipFile(wheel).namelist()
        assert "bot/manifest_data/slash_command.json" in names, "the wheel lacks the manifest"
        assert not [n for n in names if n.startswith("bot/sandbox/")], "the wheel carries the stand-in"
        run(sys.executable, "-m", "venv", str(work / "venv"), cwd=work)
        python = work / "venv" / "bin" / "python"
        run(str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel), cwd=work)
        site = work / "outside"
        site.mkdir()
        shutil.copy(ROOT / "gunicorn.conf.py", site / "gunicorn.conf.py")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(work)}
        loaded = run(str(python), "-c", "from bot.ops.manifest import MANIFEST_PATH, load_manifest; "
                     "print(load_manifest().url_path, MANIFEST_PATH)", cwd=site, env=env).stdout
        assert str(work / "venv") in loaded and str(ROOT) not in loaded, f"manifest not from the wheel: {loaded}"
        demo = subprocess.run([str(work / "venv" / "bin" / "sessions-bot"), "demo"], cwd=site, env=env,
                              capture_output=True, text=True, timeout=60)
        assert demo.returncode == 1 and "development install" in demo.stderr, (demo.returncode, demo.stderr)
        port = free_port()
        served = {**env, "PORT": str(port), "MATTERMOST_URL": "http://127.0.0.1:9", "MATTERMOST_TOKEN": "t" * 26,
                  "SLASH_COMMAND_TOKENS": "c" * 26, "BOT_SECRET": "s" * 40, "WEB_CONCURRENCY": "1"}
        gunicorn = subprocess.Popen([str(work / "venv" / "bin" / "gunicorn"), "bot.web.wsgi:app"], cwd=site,
                                    env=served, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                        assert answer.status == 200, answer.status
                        break
                except OSError:
                    if time.monotonic() > deadline or gunicorn.poll() is not None:
                        gunicorn.kill()
                        sys.exit(f"gunicorn on the installed wheel never answered /healthz:\n{gunicorn.stderr.read()}")
                    time.sleep(0.2)
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)
    print(f"the wheel installs outside the checkout and serves: {wheel.name}, /healthz 200")
    return 0


if __name__ == "__main__":
    sys.exit(main())
