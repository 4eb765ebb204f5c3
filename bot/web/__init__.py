"""The HTTP edge: the application factory, the front door (the secret button path, a 404 for anything the bot
does not serve), one request pipeline shared by the slash command and the
button endpoint (authenticate → read → rate-limit → run within the reply budget → reply), deferral through
``response_url``, signing of buttons, side effects (audit, notices), probes and the WSGI entry point.

May import: every layer below (``features``, ``replies``, ``mattermost``, ``ops``, ``core``); nothing
imports it.
"""
