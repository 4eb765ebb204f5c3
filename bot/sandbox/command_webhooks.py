"""Command webhooks of a :class:`~bot.sandbox.world.World`: the ``response_url`` each custom slash command gets.

A mixin: the world owns the lock, the id sequence and the clock, and calls
:meth:`CommandWebhooks._init_command_webhooks` from its constructor. A hook remembers who typed the
command, where (channel and thread) and when; it can be used 5 times within 30 minutes.

Sources (MATTERMOST.md §1.5): MM ``server/public/model/command_webhook.go`` (``CommandWebhook``,
``CommandWebhookLifetime``), ``server/channels/app/webhook.go`` (``CreateCommandWebhook``,
``HandleCommandWebhook``: 404 ``app.command_webhook.get.missing``, then ``TryUse(id, 5)``, 400
``app.command_webhook.try_use.invalid``) and ``server/channels/store/sqlstore/command_webhook_store.go``
(``Get`` finds only hooks created less than the lifetime ago; ``TryUse`` adds one use while fewer than
the limit were made). ``HandleCommandWebhook`` also loads the command again, for its team and overrides;
the stand-in does not, as its commands may be called at any URL, registered or not.
"""
from __future__ import annotations

import random
import threading
from typing import Any

from .ids import new_id
from .wire import AppError

Record = dict[str, Any]

COMMAND_WEBHOOK_LIFETIME_MS = 30 * 60 * 1000
MAX_COMMAND_WEBHOOK_USES = 5


class CommandWebhooks:
    """The hooks behind ``response_url`` (mixed into ``World``)."""

    _lock: threading.RLock
    _rng: random.Random

    def now_ms(self) -> int:  # pragma: no cover - provided by World
        raise NotImplementedError

    def _init_command_webhooks(self) -> None:
        self._command_webhooks: dict[str, Record] = {}

    def create_command_webhook(self, user_id: str, channel_id: str, root_id: str = "") -> Record:
        """``CreateCommandWebhook`` for one invocation: a new hook, unused, created now (a copy)."""
        with self._lock:
            hook: Record = {"id": new_id(self._rng), "create_at": self.now_ms(), "user_id": user_id,
                            "channel_id": channel_id, "root_id": root_id, "use_count": 0}
            self._command_webhooks[hook["id"]] = hook
            return dict(hook)

    def use_command_webhook(self, hook_id: str) -> Record:
        """Find the hook and count one more use of it (``Get``, then ``TryUse``); returns it (a copy).

        :class:`AppError` 404 ``app.command_webhook.get.missing`` for an unknown hook or one older than
        30 minutes, 400 ``app.command_webhook.try_use.invalid`` once it was used 5 times.
        """
        with self._lock:
            hook = self._command_webhooks.get(hook_id)
            if hook is None or hook["create_at"] <= self.now_ms() - COMMAND_WEBHOOK_LIFETIME_MS:
                raise AppError("app.command_webhook.get.missing", 404)
            if hook["use_count"] >= MAX_COMMAND_WEBHOOK_USES:
                raise AppError("app.command_webhook.try_use.invalid", 400)
            hook["use_count"] += 1
            return dict(hook)

    def command_webhook(self, hook_id: str) -> Record | None:
        """The stored hook (a copy, with its ``use_count``), or ``None``."""
        with self._lock:
            hook = self._command_webhooks.get(hook_id)
            return dict(hook) if hook is not None else None
