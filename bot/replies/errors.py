"""Everything that ends a command early, worded in one place (pure): refusals, Mattermost's failures, buttons that do
nothing, the rate limit, a bug in the bot; and the interim "still working".
"""
from __future__ import annotations

import math
import re

from bot.core.commands import ChannelRef
from bot.core.errors import (
    AmbiguousSession,
    BotError,
    BotLacksPermission,
    BotTokenRejected,
    ChannelNotFound,
    ExpiredButton,
    ForeignButton,
    ForgedButton,
    MattermostUnreachable,
    Refused,
    RetiredButton,
    SessionAlreadyGone,
    SessionNotFound,
    StillSignedIn,
    TargetDeactivated,
    TokenAlreadyGone,
    TokenStillActive,
    TooManyMembers,
    UnknownClicker,
    UpstreamMalformed,
    UpstreamRejected,
    UserNotFound,
)
from bot.core.model import SHOWN_ID_LENGTH, by_recent_activity, is_id, shown_ids
from bot.core.permissions import Refusal
from bot.replies.markdown import code, inert
from bot.replies.words import MAX_LISTED, at_name, command_code, describe, typed_name

#: The immediate reply to a command that outlasts the reply budget; its result follows as another message.
STILL_WORKING = (
    "⏳ Still working on it… The result will appear here shortly: there is no need to run the command again."
)


def skip_reason(error: BotError) -> str:
    """Why a target was left out of a bulk sign-out, in a few words."""
    match error:
        case Refused(reason=Refusal.NEEDS_EDIT_OTHER_USERS):
            return "needs edit_other_users"
        case Refused(reason=Refusal.TARGET_IS_SYSTEM_ADMIN):
            return "system admin: needs manage_system"
        case Refused(reason=Refusal.TARGET_IS_THIS_BOT):
            return "this bot's own account"
        case Refused(reason=Refusal.TARGET_IS_CALLER):
            return "that's you: use `/sessions revoke-all --yes`"
        case Refused(reason=Refusal.TARGET_IS_BOT):
            return "bot account: its tokens need manage_others_bots"
        case UserNotFound():
            return "no such user"
        case TargetDeactivated():
            return "deactivated: no sessions"
        case ChannelNotFound():
            return "no such channel that you can see in this team"
        case TooManyMembers(limit=limit, members=members, before=before) if before:
            return (f"{members:,} members, and with the channels named before it that is more than the {limit:,} "
                    "one command signs out: name fewer channels, or users")
        case TooManyMembers(limit=limit):
            return f"more than {limit:,} members: name smaller channels or users"
    return mattermost_trouble(error)


_NOTHING_CHANGED = "Nothing was changed."


_CHECK_FIRST = "If you were signing something out, run `/sessions list` to see whether it went through before trying again."


def _refusal(error: Refused) -> str:
    target = at_name(error.target.username) if error.target else (typed_name(error.ref) if error.ref else "that user")
    match error.reason:
        case Refusal.NEEDS_EDIT_OTHER_USERS:
            return (
                f"🚫 You can only manage your own sessions: managing another user's sessions ({target}) needs "
                f"Mattermost's **edit_other_users** permission, which your account doesn't have. {_NOTHING_CHANGED}"
            )
        case Refusal.TARGET_IS_SYSTEM_ADMIN:
            return (
                f"🚫 {target} is a system admin. Managing a system admin's sessions needs Mattermost's "
                f"**manage_system** permission, which your account doesn't have. {_NOTHING_CHANGED}"
            )
        case Refusal.TARGET_IS_THIS_BOT:
            return f"🚫 {target} is this bot's own account, and the bot never signs itself out. {_NOTHING_CHANGED}"
        case Refusal.TARGET_IS_CALLER:
            return f"🚫 Sign yourself out with `/sessions revoke-all --yes`, not in a bulk sign-out. {_NOTHING_CHANGED}"
        case Refusal.NEEDS_READ_USER_ACCESS_TOKEN:
            return (
                "🚫 Listing personal access tokens needs Mattermost's **read_user_access_token** permission, even "
                f"for your own, and your account doesn't have it. {_NOTHING_CHANGED}"
            )
        case Refusal.NEEDS_REVOKE_USER_ACCESS_TOKEN:
            return (
                "🚫 Disabling personal access tokens (`disable-tokens`, `revoke-all --tokens`) needs Mattermost's "
                f"**revoke_user_access_token** permission, which your account doesn't have. {_NOTHING_CHANGED} "
                "Without `--tokens`, `revoke-all` signs out sessions only, and the tokens keep working."
            )
        case Refusal.TARGET_IS_BOT:
            return (
                f"🚫 {target} is a bot account. Managing a bot's personal access tokens needs Mattermost's "
                f"**manage_others_bots** permission, which your account doesn't have. {_NOTHING_CHANGED}"
            )
        case Refusal.NEEDS_MANAGE_SYSTEM:
            return (
                "🚫 Signing every user out needs Mattermost's **manage_system** permission (system admins), which "
                f"your account doesn't have. {_NOTHING_CHANGED}"
            )
        case Refusal.CALLER_DEACTIVATED:
            return f"🚫 Your account is deactivated, and Mattermost lets a deactivated account do nothing. {_NOTHING_CHANGED}"
        case Refusal.WRONG_CONFIRMATION_CODE:
            return (
                "🚫 That confirmation code is wrong or has expired, so nobody was signed out. Run "
                "`/sessions revoke-all --everyone` for a fresh code."
            )


def error_message(error: BotError) -> str:
    """The text shown to the user for any ``BotError``."""
    match error:
        case Refused():
            return _refusal(error)
        case UserNotFound(ref=ref):
            how = {"email": "with the email address", "id": "with the ID or username"}.get(ref.kind, "named")
            return f"I couldn't find a user {how} {typed_name(ref)}. {_NOTHING_CHANGED}"
        case TargetDeactivated(target=target):
            return (
                f"{at_name(target.username)} is deactivated. Deactivated accounts have no sessions: Mattermost signed "
                f"them out everywhere when the account was deactivated. {_NOTHING_CHANGED}"
            )
        case SessionNotFound(prefix=prefix, target=target):
            whose = "yours" if target is None else at_name(target.username)
            if is_id(prefix):  # a whole id, as a button carries it: shown as the list showed it
                return (f"No session of {whose} has the ID {code(prefix[:SHOWN_ID_LENGTH] + '…')}: it may have been "
                        f"signed out already. See the IDs with {command_code('list', target)}. {_NOTHING_CHANGED}")
            return (
                f"No session of {whose} has an ID starting with "
                f"{code(prefix)}. See the IDs with {command_code('list', target)}. {_NOTHING_CHANGED}"
            )
        case AmbiguousSession(prefix=prefix, matches=matches):
            ids = shown_ids(matches)  # each just long enough to tell it from the others, like in a list
            lines = [f"{code(prefix)} matches {len(matches)} sessions, so nothing was signed out:"]
            lines += [f"- `{ids[s.id]}`: {describe(s)}" for s in by_recent_activity(matches)[:MAX_LISTED]]
            lines.append("Type more characters of the ID to pick one.")
            return "\n".join(lines)
        case SessionAlreadyGone(session=session):
            return f"That session ({describe(session)}) was already signed out."
        case TokenAlreadyGone(token=token):
            return f"That personal access token ({inert(token.description) or 'no description'}) was already deleted."
        case StillSignedIn(session=session):
            return f"⚠️ Mattermost refused to sign that session out ({describe(session)}): it is still signed in."
        case TokenStillActive(token=token):
            name = inert(token.description) or "no description"
            return f"⚠️ Mattermost did not disable that personal access token ({name}): it still works."
        case BotTokenRejected() | BotLacksPermission():
            return f"⚠️ {mattermost_trouble(error)} {_NOTHING_CHANGED}"
        case MattermostUnreachable() | UpstreamRejected() | UpstreamMalformed():
            return f"⚠️ {mattermost_trouble(error)} {_CHECK_FIRST}"
        case ForgedButton():
            return f"🚫 This button was not made by the sessions bot, or was altered, so it does nothing. {_NOTHING_CHANGED}"
        case ExpiredButton(max_age_s=max_age_s):
            return (
                f"⌛ This button has expired: buttons work for {max_age_s // 60} minutes. "
                f"Run `/sessions` again for fresh ones. {_NOTHING_CHANGED}"
            )
        case ForeignButton():
            return f"🚫 This button was made for someone else, so it does nothing for you. {_NOTHING_CHANGED}"
        case RetiredButton():
            return (f"⌛ This button is out of date: the sessions bot's address for buttons has changed since it was "
                    f"made. Run `/sessions` again for fresh ones. {_NOTHING_CHANGED}")
        case UnknownClicker():
            return f"🚫 Mattermost does not know the account this click came from, so it does nothing. {_NOTHING_CHANGED}"
        case ChannelNotFound() | TooManyMembers():
            return f"🚫 {_ref_channel(error.ref)}: {skip_reason(error)}. {_NOTHING_CHANGED}"
    return f"⚠️ Something went wrong in the sessions bot. {_CHECK_FIRST}"


def _ref_channel(ref: ChannelRef) -> str:
    return inert(ref.text, 80)


def mattermost_trouble(error: BotError) -> str:
    """What went wrong between the bot and Mattermost, without saying what it left changed or unchanged."""
    match error:
        case StillSignedIn():
            return "Mattermost refused to sign it out, and it is still signed in."
        case TokenStillActive():
            return "Mattermost did not disable it, and it still works."
        case MattermostUnreachable(detail=detail):
            return f"The sessions bot couldn't reach Mattermost: {inert(detail, 200)}."
        case BotTokenRejected():
            return (
                "Mattermost rejected the sessions bot's access token (it may have been revoked, or the bot "
                "account deactivated). Please tell your Mattermost admin."
            )
        case BotLacksPermission(doing="revoke_everyone"):
            return ("Mattermost refused to let the sessions bot sign everyone out: the bot account lacks "
                    "manage_system. Please tell your Mattermost admin.")
        case BotLacksPermission(target=target, doing=doing):
            whose = "your" if target is None and doing else "this user's" if target is None else f"{at_name(target.username)}'s"
            what, needs = {
                "read_tokens": ("read", "read_user_access_token, and manage_others_bots for bots"),
                "disable_tokens": ("disable", "revoke_user_access_token, and manage_others_bots for bots"),
            }.get(doing, ("", ""))
            if what:
                return (f"Mattermost refused to let the sessions bot {what} {whose} personal access tokens: the bot "
                        f"account lacks permission (it needs {needs}). Please tell your Mattermost admin.")
            return (
                f"Mattermost refused to let the sessions bot manage {whose} sessions: the bot account lacks "
                "permission (it needs edit_other_users, and manage_system for system admins). Please tell your "
                "Mattermost admin."
            )
        case UpstreamRejected(status=429, retry_after_s=wait_s):
            return f"Mattermost is busy; try again {_after(wait_s)}."
        case UpstreamRejected(status=status, error_id=error_id):
            detail = f"HTTP {status}" + (f", {code(error_id, 80)}" if _ERROR_ID.fullmatch(error_id) else "")
            return f"Mattermost answered with an unexpected error ({detail})."
        case UpstreamMalformed():  # its detail names the call, for the log: never shown
            return "Mattermost's answer was not what the sessions bot expected."
    return "Something went wrong in the sessions bot."


#: What Mattermost's error ids look like (``AppError.Id``, e.g. ``app.session.get_sessions.app_error``): dotted
#: words, never a path or an id; anything else in an error's ``id`` is not shown.
_ERROR_ID = re.compile(r"[a-z0-9_]{1,40}(\.[a-z0-9_]{1,40}){1,8}")


def _after(wait_s: float | None) -> str:
    """When to try again, from the wait a 429 asked for (``Retry-After``); a sensible wording without one."""
    if wait_s is None or not math.isfinite(wait_s):
        return "in a few seconds"
    if wait_s > 3600:
        return "later"
    if wait_s > 90:
        return f"in {math.ceil(wait_s / 60)} minutes"
    seconds = max(1, math.ceil(wait_s))
    return f"in {seconds} second{'' if seconds == 1 else 's'}"


def slow_down(retry_after_s: int, limit: str, *, lookups: bool = False) -> str:
    """What a user over a rate limit is told (nothing ran): the revoking limit, or with ``lookups`` the limit on
    looking at others and previewing (their own sessions stay one command away)."""
    unit = "second" if retry_after_s == 1 else "seconds"
    if lookups:
        return (f"⏳ Slow down: you can look at other users' sessions and tokens, list stale sessions or preview "
                f"a sign-out at most {limit}. Nothing was looked up. Try again in {retry_after_s} {unit}. "
                "Your own `/sessions list` still works.")
    return (f"⏳ Slow down: you can sign sessions out at most {limit}. Nothing was signed out. "
            f"Try again in {retry_after_s} {unit}.")


def internal_error(reference: str) -> str:
    """The reply when the bot itself failed unexpectedly; ``reference`` finds the log line."""
    return f"⚠️ Something went wrong in the sessions bot (reference {code(reference)}). {_CHECK_FIRST}"
