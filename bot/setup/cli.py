"""The ``sessions-bot`` command line: ``install``, ``uninstall`` and ``check`` (registration, ``bot.setup.admin``),
``demo`` and ``sandbox`` (the stand-in, ``bot.setup.demo``)."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from bot.setup import admin

#: What a ``demo`` or ``sandbox`` without the stand-in says (a regular install has none: it is for development).
NO_STAND_IN = ("sessions-bot {command}: the Mattermost stand-in is not installed; it comes with the development "
               "install: pip install -e '.[dev]' in a checkout of the project")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sessions-bot`` console script."""
    parser = argparse.ArgumentParser(prog="sessions-bot", description="Manage Mattermost login sessions from chat: "
                                     "register, check and try out the /sessions bot.")
    commands = parser.add_subparsers(dest="command", required=True)
    admin.add_parsers(commands)
    demo_parser = commands.add_parser("demo", help="play a scripted conversation against a Mattermost stand-in")
    demo_parser.add_argument("--interactive", action="store_true", help="type /sessions commands yourself")
    demo_parser.add_argument("--as", dest="username", default="alice", help="who you are in --interactive (default alice)")
    sandbox_parser = commands.add_parser("sandbox", help="run the Mattermost stand-in alone")
    sandbox_parser.add_argument("--port", type=int, default=8065)
    args = parser.parse_args(argv)
    if args.command in ("install", "uninstall", "check"):
        return admin.run(args)
    try:
        from bot.setup import demo  # only the development install has the stand-in
    except ImportError:
        print(NO_STAND_IN.format(command=args.command), file=sys.stderr)
        return admin.EXIT_FAILED
    if args.command == "demo":
        return demo.demo(args.interactive, args.username)
    return demo.sandbox(args.port)


if __name__ == "__main__":
    sys.exit(main())
