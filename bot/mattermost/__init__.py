"""The one adapter to Mattermost: its REST API v4 through mattermostdriver (one pooled session, a timeout
on every call, no retries), every answer turned into ``bot.core`` values or errors.

May import: ``bot.core`` and ``bot.ops`` (settings, metrics).
"""
