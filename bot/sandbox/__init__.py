"""A stand-in for the Mattermost server: the REST API v4 endpoints the bot uses, and the slash-command caller.

It re-implements Mattermost's rules from the server source (see ``/work/shared/MATTERMOST.md``)
and imports nothing else from ``bot``, so tests written against it check the bot against
Mattermost rather than against the bot's own assumptions.
"""
from .server import SandboxServer
from .slash import SlashResult, run_slash_command
from .world import World

__all__ = ["SandboxServer", "SlashResult", "World", "run_slash_command"]
