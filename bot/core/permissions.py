"""Decide whether a caller may act on a user's sessions, the way Mattermost decides (pure, no I/O).

Mattermost's rule is ``SessionHasPermissionToUser`` (server/channels/app/authorization.go, see
../shared/MATTERMOST.md §4.1): acting on yourself is allowed; ``manage_system`` allows acting on
anyone; otherwise ``edit_other_users`` is needed, and even then never on a system admin. The bot adds
one rule of its own: it never revokes its own sessions (nor disables its own tokens).

Personal access tokens follow Mattermost's token endpoints (``api4/user.go``: ``getUserAccessTokensForUser``,
``disableUserAccessToken``): first the caller's own ``read_user_access_token`` (listing) or
``revoke_user_access_token`` (disabling), even for their own tokens; then ``SessionHasPermissionToUserOrBot``
on the owner: the rule above for a person, and for a bot account ``manage_others_bots`` (an owner's
``manage_bots`` would do, but a user record does not say who owns a bot, so the bot asks for the stricter one).
Signing *everyone* out (``POST /users/sessions/revoke/all``) needs ``manage_system``.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.core.model import User

MANAGE_SYSTEM = "manage_system"
EDIT_OTHER_USERS = "edit_other_users"
READ_USER_ACCESS_TOKEN = "read_user_access_token"
REVOKE_USER_ACCESS_TOKEN = "revoke_user_access_token"
MANAGE_OTHERS_BOTS = "manage_others_bots"


class Action(enum.Enum):
    """What the caller wants to do to the target's sessions."""

    LIST = "list"
    REVOKE = "revoke"


class TokenAction(enum.Enum):
    """What the caller wants to do to the target's personal access tokens; the value is the permission
    Mattermost asks of the caller first."""

    LIST = READ_USER_ACCESS_TOKEN
    DISABLE = REVOKE_USER_ACCESS_TOKEN


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
    NEEDS_READ_USER_ACCESS_TOKEN = READ_USER_ACCESS_TOKEN
    NEEDS_REVOKE_USER_ACCESS_TOKEN = REVOKE_USER_ACCESS_TOKEN
    TARGET_IS_BOT = MANAGE_OTHERS_BOTS
    NEEDS_MANAGE_SYSTEM = "manage_system, to sign everyone out"
    WRONG_CONFIRMATION_CODE = "the code shown in the last 10 minutes"
    CALLER_DEACTIVATED = "an active account"  # Mattermost answers a deactivated account 401: it has no session

    @property
    def missing(self) -> str | None:
        """The permission the caller lacks, or None when no permission would help."""
        return _MISSING.get(self)


_MISSING = {
    Refusal.NEEDS_EDIT_OTHER_USERS: EDIT_OTHER_USERS,
    Refusal.TARGET_IS_SYSTEM_ADMIN: MANAGE_SYSTEM,
    Refusal.NEEDS_READ_USER_ACCESS_TOKEN: READ_USER_ACCESS_TOKEN,
    Refusal.NEEDS_REVOKE_USER_ACCESS_TOKEN: REVOKE_USER_ACCESS_TOKEN,
    Refusal.TARGET_IS_BOT: MANAGE_OTHERS_BOTS,
    Refusal.NEEDS_MANAGE_SYSTEM: MANAGE_SYSTEM,
}


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


def token_gate(caller: Caller, action: TokenAction) -> Refusal | None:
    """Mattermost's first check on any token request, whoever owns the tokens: the caller's own
    ``read_user_access_token`` (listing) or ``revoke_user_access_token`` (disabling)."""
    if action.value in caller.permissions:
        return None
    return Refusal.NEEDS_READ_USER_ACCESS_TOKEN if action is TokenAction.LIST else Refusal.NEEDS_REVOKE_USER_ACCESS_TOKEN


def token_refusal(caller: Caller, target: User, action: TokenAction, bot_user_id: str | None) -> Refusal | None:
    """Why ``caller`` may not do ``action`` to ``target``'s personal access tokens, or None when they may:
    the gate permission, then ``SessionHasPermissionToUserOrBot`` (a bot account needs ``manage_others_bots``,
    even for ``manage_system``; anyone else is :func:`refusal_for`'s rule). The bot never disables its own tokens."""
    if action is TokenAction.DISABLE and target.id == bot_user_id:
        return Refusal.TARGET_IS_THIS_BOT
    gate = token_gate(caller, action)
    if gate is not None or caller.id == target.id:
        return gate
    if target.is_bot:
        return None if MANAGE_OTHERS_BOTS in caller.permissions else Refusal.TARGET_IS_BOT
    return refusal_for(caller, target, Action.LIST, None)
