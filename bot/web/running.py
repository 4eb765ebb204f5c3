"""Running one command for the edge: the feature runs, its audit and notices are carried out, its outcome is
rendered (with buttons when the bot has a public URL), and a bug in the bot still becomes a friendly reply."""
from __future__ import annotations

import logging

from bot.core.commands import Command
from bot.core.errors import MattermostUnreachable, UpstreamMalformed, UpstreamRejected
from bot.core.invocation import Invocation
from bot.core.outcomes import Failed, View
from bot.features import dispatch
from bot.features.bulk import ProgressReport
from bot.ops import metrics
from bot.replies.rendering import render
from bot.replies.values import Reply
from bot.web.answers import bug_report
from bot.web.parts import parts

log = logging.getLogger(__name__)


def run_command(invocation: Invocation, command: Command, report: ProgressReport | None = None) -> Reply:
    """Run ``command`` for the caller, audit and notify as configured, and render the reply (with buttons when
    the bot has a public URL); ``report`` hears how a long bulk sign-out is going."""
    bot = parts()
    outcome = dispatch.run(bot.features, invocation, command, report)
    bot.effects.record(outcome.audit, outcome.notices, outcome.details)
    metrics.record_command(outcome.action, outcome.result)
    if outcome.result == "refused":
        metrics.record_refusal(outcome.reason)
    log.info("command=%s caller=%s ok=%s%s", type(command).__name__, invocation.caller_id, outcome.ok,
             _trouble(outcome.shown))
    return render(outcome.shown, outcome.now_ms, buttons=bool(bot.action_url))


def _trouble(shown: View) -> str:
    """For the log: what Mattermost did wrong, in the detail the reply leaves out (the call, the status)."""
    if isinstance(shown, Failed) and isinstance(shown.error, (MattermostUnreachable, UpstreamRejected, UpstreamMalformed)):
        return f" error={shown.error!r}"
    return ""


def answered(invocation: Invocation, command: Command, report: ProgressReport | None = None) -> Reply:
    """:func:`run_command`'s reply, or, when the bot fails unexpectedly, the friendly report of the bug."""
    try:
        return run_command(invocation, command, report)
    except Exception:  # noqa: BLE001 - a bug must still reach the user, who may no longer be waiting
        return Reply(bug_report())
