"""The side effects of an action: the audit log line, the audit channel post and the target's direct message.

They never change the outcome the user sees: a failure here is logged and the action stands.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from bot.core.audit import AuditEvent, Notice
from bot.core.errors import BotError
from bot.mattermost.client import MattermostAPI
from bot.replies.filters import describe_filter
from bot.replies.notices import audit_line, target_notice

audit_log = logging.getLogger("bot.audit")
log = logging.getLogger(__name__)


def audit_record(event: AuditEvent, now_ms: int) -> dict[str, Any]:
    """The event as the JSON audit line's mapping, the time first; English and UTC whoever reads it (machines
    do): the filter in words, "" when there was none."""
    when = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")
    record: dict[str, Any] = {"time": when, **{f.name: getattr(event, f.name) for f in dataclasses.fields(event)}}
    record["session_ids"] = list(event.session_ids)
    record["token_ids"] = list(event.token_ids)
    record["filter"] = "" if event.filter.is_empty else describe_filter(event.filter)
    return record


class Effects:
    """Writes audit records and notifies targets, as configured."""

    def __init__(
        self,
        api: MattermostAPI,
        *,
        notify_targets: bool,
        audit_channel_id: str | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api = api
        self._notify_targets = notify_targets
        self._audit_channel_id = audit_channel_id
        self._clock = clock

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def record(self, event: AuditEvent | None, notices: Iterable[Notice] = (), details: Iterable[AuditEvent] = ()) -> None:
        """Log the ``details`` (a bulk command's line per target), audit ``event`` (log and audit channel),
        and deliver the ``notices``."""
        for detail in details:
            self._log(detail)
        if event is not None:
            self.audit(event)
        for notice in notices if self._notify_targets else ():
            self._attempt("notify the target", lambda: self._notify(notice))

    def audit(self, event: AuditEvent) -> None:
        """One JSON line on the ``bot.audit`` logger, and a line in the audit channel when one is set."""
        self._log(event)
        channel = self._audit_channel_id
        if channel is not None:
            self._attempt("post to the audit channel", lambda: self._api.create_post(channel, audit_line(event)))

    def _log(self, event: AuditEvent) -> None:
        audit_log.info("audit", extra={"audit": audit_record(event, self._now_ms())})

    def _notify(self, notice: Notice) -> None:
        channel = self._api.direct_channel(self._api.bot_user_id, notice.target_id)
        self._api.create_post(channel, target_notice(notice, self._now_ms()))

    @staticmethod
    def _attempt(what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except BotError as error:
            log.warning("could not %s: %s", what, type(error).__name__)
