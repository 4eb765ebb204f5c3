"""Pure values and rules, no I/O: users and sessions, commands and their parser, filters, Mattermost's
permission rule, the errors that end a command, and outcomes (what a command did, as data).

May import: the standard library, and ``bot.core`` itself. Nothing that talks to the network, the clock
or a framework: time is always passed in.
"""
