"""Every text a user sees, formatted as Mattermost Markdown, rendered from outcomes (pure, no I/O): replies
to commands and clicks, errors and refusals, usage, the notice a signed-out user gets, the audit channel's
line; and the reply values themselves (text, attachments, buttons carrying commands).

May import: ``bot.core``.
"""
