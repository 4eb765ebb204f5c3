"""Who the caller is, who a name means, and whether the caller may act on them: Mattermost's own rule
(``bot.core.permissions``), applied to the caller before the bot reads or changes anything with its token.

The order is always the same: the caller (with the permissions their system roles grant) → for someone
else, may the caller act on others at all (refused before the name is even looked up, so the bot cannot be
used to find out whose an address is) → the target, resolved only as far as Mattermost would answer the caller
(``bot.features.visibility``: an email lookup only where emails are shown or for ``manage_system``, a user only
when the caller may see them; otherwise the same "no such user" as for a name nobody has) → may the caller do
this to them.
"""
from __future__ import annotations

from bot.core.commands import UserRef
from bot.core.errors import Refused, TargetDeactivated, UpstreamRejected, UserNotFound
from bot.core.model import User
from bot.core.permissions import (
    Action,
    Caller,
    Refusal,
    TokenAction,
    permissions_of,
    refusal_for,
    token_gate,
    token_refusal,
)
from bot.features.stepwise import Sleep
from bot.features.visibility import Viewer
from bot.mattermost.client import MattermostAPI
from bot.mattermost.statuses import Call, meaning


class Access:
    """The permission flow of one bot, asking Mattermost with the bot's token."""

    def __init__(self, api: MattermostAPI, sleep: Sleep) -> None:
        self._api = api
        self._sleep = sleep

    def viewer(self, caller: Caller) -> Viewer:
        """The caller's view of other users, for one command."""
        return Viewer(self._api, caller, self._sleep)

    def caller_of(self, caller_id: str) -> Caller:
        """The caller, with the permissions their system roles grant; a deactivated caller is refused, as Mattermost
        refuses them everything (deactivation ends every session, so their every request is a 401)."""
        user = self._api.user(caller_id)
        if user.deactivated:
            raise Refused(Refusal.CALLER_DEACTIVATED, target=None)
        granted = permissions_of(self._api.permissions_of_roles(user.roles), user.roles)
        return Caller(id=user.id, username=user.username, email=user.email, permissions=granted)

    def resolve(self, ref: UserRef, viewer: Viewer) -> User:
        """The user ``ref`` names, as far as Mattermost would answer ``viewer``'s caller: ``UserNotFound`` when no
        one has that name, and just the same when the caller may not look them up that way or may not see them.
        A 26-character word may also be a username."""
        if ref.kind == "email" and not viewer.may_look_up_by_email():
            raise UserNotFound(ref)  # Mattermost refuses before it even looks (getUserByEmail)
        user = self._find(ref)
        if not viewer.sees(user):
            raise UserNotFound(ref)
        return user

    def _find(self, ref: UserRef) -> User:
        """The user ``ref`` names, looked up with the bot's token (``UserNotFound`` when none)."""
        with meaning(Call.FIND_USER, ref=ref):
            if ref.kind == "email":
                return self._api.user_by_email(ref.value)
            if ref.kind == "username":
                return self._api.user_by_username(ref.value)
            try:
                return self._api.user(ref.value)
            except UpstreamRejected as rejected:
                if rejected.status != 404:
                    raise
            return self._api.user_by_username(ref.value)  # a 26-character word may also be a username

    def target_of(self, caller_id: str, ref: UserRef | None, action: Action | None,
                  tokens: TokenAction | None = None) -> tuple[Caller | None, User | None]:
        """The caller (None when not needed: acting on their own sessions) and the target (None: the caller);
        raises when the caller may not do ``action`` to the target's sessions, or ``tokens`` to their tokens.

        Mattermost checks a token permission before it even loads the target, and so does this, for the
        caller's own tokens too. A deactivated target is refused for sessions (they have none), not for tokens.
        """
        caller = None
        if tokens is not None:
            caller = self.caller_of(caller_id)
            gate = token_gate(caller, tokens)
            if gate is not None:
                raise Refused(gate, target=None, ref=ref)
        if ref is None or (ref.kind == "id" and ref.value == caller_id):
            return caller, self._self(caller_id, action, tokens)
        caller = caller or self.caller_of(caller_id)
        if _names(ref, caller):
            return caller, self._self(caller_id, action, tokens)
        if not caller.may_act_on_others:
            raise Refused(Refusal.NEEDS_EDIT_OTHER_USERS, target=None, ref=ref)
        target = self.resolve(ref, self.viewer(caller))
        if target.id == caller_id:
            return caller, self._self(caller_id, action, tokens)
        changes = action is Action.REVOKE or tokens is TokenAction.DISABLE
        bot_user_id = self._api.bot_user_id if changes else None
        refusal = ((refusal_for(caller, target, action, bot_user_id) if action is not None else None)
                   or (token_refusal(caller, target, tokens, bot_user_id) if tokens is not None else None))
        if refusal is not None:
            raise Refused(refusal, target=target)
        if target.deactivated and action is not None:
            raise TargetDeactivated(target)
        return caller, target

    def _self(self, caller_id: str, action: Action | None, tokens: TokenAction | None = None) -> None:
        """Acting on yourself is always allowed, except that the bot never signs itself out."""
        if (action is Action.REVOKE or tokens is TokenAction.DISABLE) and caller_id == self._api.bot_user_id:
            raise Refused(Refusal.TARGET_IS_THIS_BOT, target=None)
        return None

    def left_out(self, caller: Caller, user: User, bot_user_id: str, tokens: bool) -> Refused | TargetDeactivated | None:
        """Why ``user`` is not signed out by ``caller`` in a bulk sign-out (nor their tokens disabled, with
        ``tokens``), or None when they will be."""
        if user.id == caller.id:
            return Refused(Refusal.TARGET_IS_CALLER, target=user)
        refusal = refusal_for(caller, user, Action.REVOKE, bot_user_id)
        if refusal is None and tokens:
            refusal = token_refusal(caller, user, TokenAction.DISABLE, bot_user_id)
        if refusal is not None:
            return Refused(refusal, target=user)
        if user.deactivated:
            return TargetDeactivated(user)
        return None


def _names(ref: UserRef, caller: Caller) -> bool:
    """True when ``ref`` names the caller (by username, email or id)."""
    if ref.kind == "email":
        return bool(caller.email) and ref.value == caller.email.lower()
    return ref.value in (caller.username.lower(), caller.id)
