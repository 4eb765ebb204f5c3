"""A stand-in for the Mattermost server: the REST API v4 endpoints the bot uses (sessions, personal access
tokens, roles, channels and their members, posts, slash command registration), the slash-command caller
with the command webhooks behind ``response_url``, and message buttons (ephemeral replies, clicks,
action requests).

It re-implements Mattermost's rules from the server source (see ``/work/shared/MATTERMOST.md``)
and imports nothing else from ``bot``, so tests written against it check the bot against
Mattermost rather than against the bot's own assumptions.
"""
from .actions import ActionResult, buttons_of, click_button, send_action
from .command_runner import SlashResult, run_registered_command, run_slash_command
from .inprocess import InProcessServer, Network
from .server import InProcessSandbox, SandboxServer
from .world import World

__all__ = ["ActionResult", "InProcessSandbox", "InProcessServer", "Network", "SandboxServer", "SlashResult", "World", "buttons_of", "click_button",
           "run_registered_command", "run_slash_command", "send_action"]
