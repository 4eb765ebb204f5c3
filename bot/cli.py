"""The ``sessions-bot`` command line: ``demo`` (stand-in + real bot on loopback) and ``sandbox``."""
from __future__ import annotations

import argparse
import logging
import secrets
import sys
import time
from contextlib import ExitStack
from typing import Callable, Sequence

from bot.app import create_app
from bot.config import load_settings
from bot.sandbox import SandboxServer, World, run_slash_command
from bot.sandbox.background import BackgroundServer

Say = Callable[[str, str], None]


def _show(username: str, text: str, reply: str | None, error: str | None) -> None:
    print(f"\n\033[1m@{username}\033[0m types: /sessions {text}".rstrip())
    if error:
        print(f"  ⚠ Mattermost shows an error: {error}")
    elif reply is None:
        print("  (no reply)")
    else:
        print("  \033[2m(Only visible to you)\033[0m")
        print("\n".join("  " + line for line in reply.splitlines()))


def _script(world: World) -> list[tuple[str, str]]:
    """A short conversation: list, revoke one, a refused cross-user attempt, an admin's revoke-all."""
    alice = world.user_by_username("alice")["id"]
    desktop = next(s["id"] for s in world.sessions_of(alice) if "Desktop App" in s["props"].get("browser", ""))
    return [
        ("alice", "list"),
        ("alice", f"revoke {desktop[:8]}"),
        ("bob", "list @alice"),
        ("usermanager", "list @sysadmin"),
        ("usermanager", "revoke-all @alice"),
        ("usermanager", "revoke-all @alice --yes"),
        ("alice", "list"),
    ]


def _interactive(world: World, say: Say, username: str) -> None:
    print("\nType /sessions … as @" + username + ".  Other commands: /as <user>, /users, /quit")
    while True:
        try:
            line = input(f"@{username}> ").strip()
        except EOFError:
            return
        if line in ("/quit", "/exit"):
            return
        if line == "/users":
            print("  " + ", ".join(sorted(u["username"] for u in world.users())))
        elif line.startswith("/as "):
            candidate = line[4:].strip().lstrip("@")
            if any(u["username"] == candidate for u in world.users()):
                username = candidate
            else:
                print(f"  no user @{candidate}; try /users")
        elif line.split(" ", 1)[0] == "/sessions":
            say(username, line[len("/sessions"):].strip())
        elif line:
            print("  commands start with /sessions (or /as, /users, /quit)")


def demo(interactive: bool, username: str) -> int:
    """Start the stand-in and the real bot on loopback and play the conversation (or a prompt)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    world = World.seeded()
    command_token = secrets.token_hex(13)
    with ExitStack() as stack:
        mattermost = stack.enter_context(SandboxServer(world))
        settings = load_settings(
            mattermost_url=mattermost.url,
            mattermost_token=world.bot_token,
            slash_command_tokens=command_token,
            bot_secret=secrets.token_urlsafe(32),
            log_level="WARNING",
        )
        bot = stack.enter_context(BackgroundServer(create_app(settings)))
        print(f"Mattermost stand-in: {mattermost.url}   sessions bot: {bot.url}/slash/sessions")

        def say(user: str, text: str) -> None:
            result = run_slash_command(world, bot.url + "/slash/sessions", command_token, user, text)
            _show(user, text, result.visible_text, result.error)

        if interactive:
            _interactive(world, say, username)
        else:
            for user, text in _script(world):
                say(user, text)
    return 0


def sandbox(port: int) -> int:
    """Run the Mattermost stand-in alone, in the foreground, and print who can log in with what."""
    world = World.seeded()
    with SandboxServer(world, port=port) as server:
        print(f"Mattermost stand-in on {server.url} (Ctrl-C to stop)")
        print(f"  bot token (MATTERMOST_TOKEN): {world.bot_token}")
        for user in sorted(world.users(), key=lambda u: u["username"]):
            if not user.get("is_bot") and not user.get("delete_at"):
                print(f"  @{user['username']:<12} roles={user['roles']!r} token={world.token_of(user['username'])}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sessions-bot`` console script."""
    parser = argparse.ArgumentParser(prog="sessions-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="play a scripted conversation against a Mattermost stand-in")
    demo_parser.add_argument("--interactive", action="store_true", help="type /sessions commands yourself")
    demo_parser.add_argument("--as", dest="username", default="alice", help="who you are in --interactive (default alice)")
    sandbox_parser = commands.add_parser("sandbox", help="run the Mattermost stand-in alone")
    sandbox_parser.add_argument("--port", type=int, default=8065)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.interactive, args.username)
    return sandbox(args.port)


if __name__ == "__main__":
    sys.exit(main())
