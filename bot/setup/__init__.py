"""The ``sessions-bot`` command line: registering the command from the manifest (``install``,
``uninstall``, ``check``) and trying the bot out (``demo``, ``sandbox``, which need the development
install, where the stand-in lives).

May import: every layer below ``web``; the demo alone uses the stand-in (``bot.sandbox``). Nothing
imports it.
"""
