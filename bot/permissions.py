"""Decide whether a caller may act on a user's sessions, the way Mattermost decides (pure, no I/O).

Mattermost's rule is ``SessionHasPermissionToUser`` (server/channels/app/authorization.go, see
../shared/MATTERMOST.md §4.1): acting on yourself is allowed; ``manage_system`` allows acting on
anyone; otherwise ``edit_other_users`` is needed, and even then never on a system admin. The bot adds
one rule of its own: it never revokes its own sessions.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.model import User

MANAGE_SYSTEM = "manage_system"
EDIT_OTHER_USERS = "edit_other_users"


class Action(enum.Enum):
    """What the caller wants to do to the target's sessions."""

    LIST = "list"
    REVOKE = "revoke"


@dataclass(frozen=True)
class Caller:
    """The user who typed the command, with the permissions their system roles grant."""

    id: str
    username: str
    email: str
    permissions: frozenset[str]

    @property
    def may_act_on_others(self) -> bool:
        """True when some other user's sessions may be within reach (the target decides the rest)."""
        return MANAGE_SYSTEM in self.permissions or EDIT_OTHER_USERS in self.permissions


class Refusal(enum.Enum):
    """Why an action is refused; ``missing`` names the Mattermost permission that would allow it."""

    NEEDS_EDIT_OTHER_USERS = EDIT_OTHER_USERS
    TARGET_IS_SYSTEM_ADMIN = MANAGE_SYSTEM
    TARGET_IS_THIS_BOT = "the bot's own account"
    TARGET_IS_CALLER = "yourself"  # in a bulk sign-out: signing yourself out is `revoke-all --yes`

    @property
    def missing(self) -> str | None:
        """The permission the caller lacks, or None when no permission would help."""
        return self.value if self in (Refusal.NEEDS_EDIT_OTHER_USERS, Refusal.TARGET_IS_SYSTEM_ADMIN) else None


def permissions_of(roles: dict[str, frozenset[str]], role_names: frozenset[str]) -> frozenset[str]:
    """The union of the permissions of ``role_names``; unknown (or deleted, hence absent) roles grant nothing."""
    return frozenset().union(*(roles.get(name, frozenset()) for name in role_names))


def refusal_for(caller: Caller, target: User, action: Action, bot_user_id: str | None) -> Refusal | None:
    """Why ``caller`` may not do ``action`` to ``target``'s sessions, or None when they may.

    ``bot_user_id`` is only consulted for ``Action.REVOKE`` (None is fine when listing).
    """
    if action is Action.REVOKE and target.id == bot_user_id:
        return Refusal.TARGET_IS_THIS_BOT
    if caller.id == target.id or MANAGE_SYSTEM in caller.permissions:
        return None
    if EDIT_OTHER_USERS not in caller.permissions:
        return Refusal.NEEDS_EDIT_OTHER_USERS
    if target.is_system_admin:
        return Refusal.TARGET_IS_SYSTEM_ADMIN
    return None
