"""``sessions-bot demo`` (the Mattermost stand-in and the real bot on loopback, a scripted conversation or a
prompt) and ``sessions-bot sandbox`` (the stand-in alone). Both need the stand-in (``bot.sandbox``), which
the development install has (``pip install -e '.[dev]'``) and a built wheel does not.
"""
from __future__ import annotations

import logging
import secrets
import time
from contextlib import ExitStack
from typing import Any, Callable

from bot.ops.config import load_settings
from bot.sandbox import SandboxServer, World, click_button, run_slash_command
from bot.sandbox.background import BackgroundServer
from bot.web.app import create_app

Step = tuple[str, str, str]  # (username, "type" | "click", command text or button label)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _show_post(post: dict[str, Any]) -> None:
    """A post as a person sees it: the text, then each attachment with its fields and [buttons]."""
    print("  \033[2m(Only visible to you)\033[0m")
    print(_indent(post.get("message", "")))
    for attachment in post.get("props", {}).get("attachments") or []:
        lines = [attachment.get("title", ""), attachment.get("text", "")]
        lines.append("   ".join(f"{f['title']}: {f['value']}" for f in attachment.get("fields") or []))
        lines.append("  ".join(f"[ {a['name']} ]" for a in attachment.get("actions") or []))
        print("\n".join("  │ " + line for line in lines if line))


def _latest_post(world: World, username: str) -> dict[str, Any] | None:
    posts = world.ephemeral_posts_for(world.user_by_username(username)["id"])
    return posts[-1] if posts else None


def _button(post: dict[str, Any], label: str) -> str:
    """The id of the button a label like ``"Sign out on Desktop app"`` names: the button, then the card's title."""
    name, _, hint = label.partition(" on ")
    for attachment in post.get("props", {}).get("attachments") or []:
        if hint.lower() in attachment.get("title", "").lower():
            for action in attachment.get("actions") or []:
                if action["name"].lower() == name.lower():
                    return str(action["id"])
    raise LookupError(label)


def _script(world: World) -> list[Step]:
    """List, sign out a device with a button, refused cross-user attempts, an admin's confirmed revoke-all."""
    return [
        ("alice", "type", "list"),
        ("alice", "click", "Sign out on Desktop app"),
        ("bob", "type", "list @alice"),
        ("usermanager", "type", "list @sysadmin"),
        ("usermanager", "type", "revoke-all @alice"),
        ("usermanager", "click", "Sign out everywhere"),
        ("alice", "type", "list"),
    ]


def _play(world: World, bot_url: str, command_token: str, username: str, kind: str, text: str) -> None:
    """Type a command or click a button on the user's latest message, and print what they see."""
    if kind == "type":
        print(f"\n\033[1m@{username}\033[0m types: /sessions {text}".rstrip())
        result = run_slash_command(world, bot_url + "/slash/sessions", command_token, username, text)
        post = world.ephemeral_post(result.post_id) if result.post_id else None
        if result.error or post is None:
            print(f"  ⚠ {result.error or '(no reply)'}")
        else:
            _show_post(post)
        return
    print(f"\n\033[1m@{username}\033[0m clicks [ {text.partition(' on ')[0]} ]")
    before = _latest_post(world, username)
    try:
        button = _button(before, text) if before else ""
    except LookupError:
        print("  no such button on the last message")
        return
    click = click_button(world, before["id"], button, username)
    after = _latest_post(world, username)
    if click.error:
        print(f"  ⚠ {click.error}")
    elif after is not None and after["id"] != before["id"]:
        _show_post(after)


def _show_direct_messages(world: World, username: str) -> None:
    channel = world.direct_channel_between(world.bot_user_id, world.user_by_username(username)["id"])
    for post in world.posts_in(channel["id"]) if channel else []:
        print(f"\n\033[1m@{username}\033[0m has a direct message from the sessions bot:")
        print(_indent(post["message"]))


def _interactive(world: World, play: Callable[[str, str, str], None], username: str) -> None:
    print("\nType /sessions … as @" + username + ".  Also: /click <button> [on <card>], /as <user>, /users, /quit")
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
        elif line.startswith("/click "):
            play(username, "click", line[len("/click "):].strip())
        elif line.split(" ", 1)[0] == "/sessions":
            play(username, "type", line[len("/sessions"):].strip())
        elif line:
            print("  commands start with /sessions (or /click, /as, /users, /quit)")


def demo(interactive: bool, username: str) -> int:
    """Start the stand-in and the real bot (buttons on) on loopback and play the conversation (or a prompt)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    world = World.seeded()
    command_token = secrets.token_hex(13)
    with ExitStack() as stack:
        mattermost = stack.enter_context(SandboxServer(world))

        def build(url: str) -> Any:
            return create_app(load_settings(
                mattermost_url=mattermost.url,
                mattermost_token=world.bot_token,
                slash_command_tokens=command_token,
                bot_secret=secrets.token_urlsafe(32),
                bot_public_url=url,
                log_level="WARNING",
            ))

        bot = stack.enter_context(BackgroundServer.knowing_its_url(build))
        print(f"Mattermost stand-in: {mattermost.url}   sessions bot: {bot.url}/slash/sessions")

        def play(user: str, kind: str, text: str) -> None:
            _play(world, bot.url, command_token, user, kind, text)

        if interactive:
            _interactive(world, play, username)
        else:
            for user, kind, text in _script(world):
                play(user, kind, text)
            _show_direct_messages(world, "alice")
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
