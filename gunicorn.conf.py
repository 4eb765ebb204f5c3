"""gunicorn settings for the sessions bot (used by the Procfile's ``gunicorn bot.web.wsgi:app``).

The bot is I/O-bound: each command spends almost all its time waiting on Mattermost's API. Threads
("gthread") wait cheaply, so a few processes with several threads each serve many concurrent
commands with little memory; one process per core keeps both cores busy for the small amount of
CPU work (parsing, rendering). Each process keeps one keep-alive connection pool to Mattermost.
Override with WEB_CONCURRENCY (processes) and GUNICORN_THREADS (threads per process).
"""
import atexit
import multiprocessing
import os
import shutil
import tempfile

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
#: The pid of the gunicorn master that made ``PROMETHEUS_MULTIPROC_DIR`` (unset: the operator chose the directory).
MULTIPROC_DIR_MADE_BY = "SESSIONS_BOT_METRICS_DIR_MADE_BY"


def _remove_when_this_process_exits(path, maker):
    """Remove the directory at the exit of the process that made it; the workers, forked from it, inherit this
    exit hook and must leave the directory alone (their siblings still write to it)."""

    def remove():
        if os.getpid() == maker:
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)


def _multiproc_dir():
    """Metrics from every worker are added up (prometheus_client's multi-process mode), in a directory named by
    the variable, which must be set before prometheus_client is first imported (when the workers load the app).

    The operator's own directory is used as it is and never removed. Otherwise this master makes one in the
    temp folder and removes it when it exits, however it exits (stopped, or refusing to start): gunicorn's
    ``on_exit`` runs only after a successful start. This file is read again on ``SIGHUP`` (same process: the
    directory stays) and by a master started by ``SIGUSR2`` (another process: it makes its own, rather than
    clearing the files its parent's workers still write)."""
    made_by = os.environ.get(MULTIPROC_DIR_MADE_BY)
    if os.environ.get(MULTIPROC_DIR) and made_by in (None, str(os.getpid())):
        return
    path = tempfile.mkdtemp(prefix="sessions-bot-metrics-")
    os.environ[MULTIPROC_DIR], os.environ[MULTIPROC_DIR_MADE_BY] = path, str(os.getpid())
    _remove_when_this_process_exits(path, os.getpid())


_multiproc_dir()

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
