"""Replies that come later: Mattermost gives up on a slash command after 30 s (../shared/MATTERMOST.md §1.2).

The command runs on the app's thread pool and the request waits for it ``REPLY_BUDGET_S`` at most; past that
the answer is "still working", and the command's own thread posts the reply (and a long bulk sign-out's
progress) to the command's ``response_url`` when it is done (§1.5). Nothing runs twice: the command starts
once, and whichever finishes first, the wait or the command, delivers the reply (:class:`Handoff`).

Only the hook id is taken from ``response_url``: the reply goes to ``MATTERMOST_URL``, never to the host the
form names; a ``response_url`` of any other shape means the request simply waits.
"""
from __future__ import annotations

import logging
import re
import threading
from concurrent.futures import wait
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app

from bot.core.errors import BotError
from bot.core.results import Progress
from bot.mattermost.client import MattermostAPI
from bot.ops.logs import carrying_request_id
from bot.replies.bulk import bulk_progress
from bot.replies.errors import STILL_WORKING
from bot.replies.values import Reply
from bot.web.answers import reply_body
from bot.web.edge import Edge, Pending
from bot.web.parts import parts
from bot.web.running import answered

log = logging.getLogger(__name__)

#: The path of a ``response_url``: SiteURL's own path, if any, then ``/hooks/commands/`` and a ``NewId()``.
_HOOK_PATH = re.compile(r"(?:/.*)?/hooks/commands/([a-z0-9]{26})")


def hook_id(response_url: str) -> str | None:
    """The hook id of a ``response_url`` shaped as Mattermost makes it, or None for anything else."""
    try:
        path = urlsplit(response_url).path
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    match = _HOOK_PATH.fullmatch(path)
    return match.group(1) if match else None


class Handoff:
    """Settles, once, who delivers a command's reply: the request, when the command finishes within the
    budget, or the command's own thread through ``response_url``, when the request has given up waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._finished = False
        self._deferred = False

    def defer(self) -> bool:
        """The request stops waiting: True when the command is still running, and so will deliver its reply."""
        with self._lock:
            self._deferred = not self._finished
            return self._deferred

    @property
    def deferred(self) -> bool:
        """True once the request has answered "still working": the command now talks through ``response_url``."""
        with self._lock:
            return self._deferred

    def finish(self) -> bool:
        """The command is done: True when the request has already answered, so the reply goes to ``response_url``."""
        with self._lock:
            self._finished = True
            return self._deferred


def deliver_late(api: MattermostAPI, hook: str, body: dict[str, Any]) -> None:
    """Post ``body`` to the command's webhook; a failure is logged, as the user can no longer be told.
    Needs no app context: progress is reported from the bulk sign-out's own threads."""
    try:
        api.respond(hook, body)
    except BotError as error:
        log.warning("the late reply could not be delivered through response_url: %s", type(error).__name__)
    except Exception:  # noqa: BLE001 - nobody waits on this thread: log, never lose it silently
        log.exception("the late reply could not be delivered through response_url")


def _job(pending: Pending, hook: str, handoff: Handoff) -> Reply:
    """The command's reply, also sent to ``response_url`` when the request stopped waiting for it."""
    api = parts().api

    def report(progress: Progress) -> None:  # progress only matters to someone already told "still working"
        if handoff.deferred:
            deliver_late(api, hook, {"response_type": "ephemeral", "text": bulk_progress(progress)})

    reply = answered(pending.invocation, pending.command, report)
    if handoff.finish():
        deliver_late(api, hook, reply_body(reply, pending.invocation))
    return reply


def within_budget(edge: Edge, pending: Pending) -> Pending | Response:
    """Wait for the command up to the budget; past it, answer "still working" and let the command reply later."""
    assert pending.hook is not None
    bot = parts()
    handoff = Handoff()
    job = carrying_request_id(current_app._get_current_object(), _job)
    running = bot.jobs.submit(job, pending, pending.hook, handoff)
    done, _not_done = wait([running], timeout=bot.reply_budget_s)
    if done or not handoff.defer():  # (or it finished just as the budget ran out)
        return replace(pending, reply=running.result())
    log.info("command=%s caller=%s deferred after %g s", type(pending.command).__name__, pending.invocation.caller_id,
             bot.reply_budget_s)
    return edge.answer(pending, Reply(STILL_WORKING))
