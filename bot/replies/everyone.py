"""Replies about `revoke-all --everyone` (pure): the preview with its code, and the result."""
from __future__ import annotations

from bot.replies.values import Reply

TOKEN_LEFT_ALONE_NOTE = (
    "🔑 Personal access tokens and bot tokens were not touched: they still work, and each one's next use opens "
    "a new session (this is also how the sessions bot itself keeps working). To cut a token off, disable it: "
    "`/sessions disable-tokens @user`."
)


def everyone_preview(code_text: str, window_s: int) -> Reply:
    """What ``revoke-all --everyone`` would do, and the code to type back to do it (never a button)."""
    return Reply("\n".join([
        "**⚠️ This signs every user out of every session**: web, desktop and mobile, on every account, yours "
        "included (you will have to sign in again here too). It also removes all OAuth access data, so OAuth "
        "apps must be authorized again. Nobody gets a direct message about it.",
        "🔑 Personal access tokens and bot tokens are not touched: they keep working, and each one's next use "
        "opens a new session. To cut a token off, disable it: `/sessions disable-tokens @user`.",
        "",
        f"To go ahead, type `/sessions revoke-all --everyone --confirm {code_text}`",
        f"The code works only for you, for the next {window_s // 60} minutes or so. No button can do this.",
    ]))


def everyone_signed_out() -> Reply:
    """What ``revoke-all --everyone`` did, and what it did not: tokens."""
    return Reply("\n".join([
        "✅ Signed every user out of every session, yours included: you will have to sign in again. OAuth apps "
        "lost their access and must be authorized again.",
        TOKEN_LEFT_ALONE_NOTE,
    ]))
