"""What the two edges (the slash command, button clicks) have in common for the pipeline: the request on its
way through (:class:`Pending`), and what each edge does its own way (:class:`Edge`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from flask import Response

from bot.core.commands import Command
from bot.core.invocation import Invocation
from bot.replies.values import Reply


@dataclass(frozen=True)
class Pending:
    """A request on its way through the pipeline: who asks, from where (``invocation``), the command, where
    a late reply may go (``hook``: a slash command's response_url hook id), and the reply once there is one."""

    invocation: Invocation
    command: Command
    hook: str | None = None
    reply: Reply | None = None


class Edge(Protocol):
    """What differs between the slash command and a button click: how a request is authenticated and read,
    and the shape of the answer."""

    via: Literal["slash", "button"]

    def authenticate(self) -> Response | None:
        """None when the request may go further, else the answer that ends it (a 4xx)."""

    def read(self) -> Pending | Response:
        """The request as a :class:`Pending`, or the answer that ends it (e.g. a button the bot did not sign)."""

    def answer(self, pending: Pending, reply: Reply) -> Response:
        """``reply`` in the edge's shape."""
