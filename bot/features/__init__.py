"""One module per command family (sessions, tokens, bulk sign-outs, stale sessions, signing everyone out),
each deciding with ``bot.core``'s rules and acting through ``bot.mattermost``, and returning an outcome as a
value: what to show, what to audit, whom to notify. No feature words anything: ``bot.replies`` does.

May import: ``bot.core`` and ``bot.mattermost``.
"""
