"""gunicorn settings for the sessions bot (used by the Procfile's ``gunicorn bot.web.wsgi:app``).

The bot is I/O-bound: each command spends almost all its time waiting on Mattermost's API. Threads
("gthread") wait cheaply, so a few processes with several threads each serve many concurrent
commands with little memory; one process per core keeps both cores busy for the small amount of
CPU work (parsing, rendering). Each process keeps one keep-alive connection pool to Mattermost.
Override with WEB_CONCURRENCY (processes) and GUNICORN_THREADS (threads per process).
"""
import multiprocessing
import os
import tempfile

# Metrics from every worker are added up (prometheus_client's multi-process mode). The variable must be
# set before prometheus_client is first imported, which happens when the workers load the app.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sessions-bot-metrics-")

bind = f"0.0.0.0:{os.environ.get('PORT', '8080')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Mattermost gives up on a slash command after 30 s; a request still running then is useless.
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
# Writes no line for a request the bot does not serve (answered 404 before anything is logged) and never the
# button endpoint's secret path (bot/ops/accesslog.py; bot/web/gate.py says why).
logger_class = "bot.ops.accesslog.AccessLog"
# One JSON object per line, like the bot's own logs, with the request id the bot answered with.
# %(U)s is the path without the query string: a GET-method command would carry its token there.
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", '
    '"status": %(s)s, "bytes": "%(B)s", "ms": %(M)s, "request_id": "%({x-request-id}o)s"}'
)


def on_starting(server):  # noqa: ARG001 - gunicorn's hook signature
    """Validate the configuration and the manifest once in the master, so a bad one is one clear message,
    not a crash loop."""
    from bot.ops.config import load_settings_or_exit
    from bot.ops.manifest import load_manifest_or_exit
    from bot.ops.metrics import clear_multiprocess_dir

    load_settings_or_exit()
    load_manifest_or_exit()
    clear_multiprocess_dir()


def child_exit(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    """Fold a finished worker's metrics into the totals."""
    from bot.ops.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)
