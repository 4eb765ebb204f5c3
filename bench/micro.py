"""In-process timings: rendering a 2,000-session list, and the permission check with a cold and a warm role cache."""
from __future__ import annotations

import json
import time
from typing import Any, Callable

from bot.core.model import Session, User
from bot.core.permissions import Action, Caller, permissions_of, refusal_for
from bot.mattermost.client import MattermostAPI
from bot.ops.config import load_mattermost_settings
from bot.replies.sessions import session_list
from bot.sandbox.world import World
from bot.web.buttons import ButtonSigner, attachments_json

#: Mattermost refuses a post whose message is longer than this many runes.
MATTERMOST_MESSAGE_LIMIT = 16383


def median_ms(call: Callable[[], Any], repeat: int) -> float:
    """The median wall time of ``call`` over ``repeat`` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)[len(times) // 2]


def render_big_list(count: int = 2000, repeat: int = 15) -> dict[str, float]:
    """Render ``count`` sessions as the table and as cards with signed buttons; times and sizes."""
    world = World(now_ms=1_700_000_000_000)
    user = world.add_user("many", "system_user")
    sessions = [Session.from_api(world.add_session(user["id"], create_ms=world.now_ms() - i * 60_000))
                for i in range(count)]
    subject = User.from_api(user)
    now = world.now_ms()
    table = session_list(subject, sessions, now)
    signer = ButtonSigner("x" * 32)

    def cards() -> str:
        reply = session_list(subject, sessions, now, buttons=True)
        return json.dumps(attachments_json(reply.attachments, user["id"], signer, "https://bot.example.com/actions"))

    return {
        "sessions": count,
        "table_ms": median_ms(lambda: session_list(subject, sessions, now), repeat),
        "cards_with_signed_buttons_ms": median_ms(cards, repeat),
        "table_chars": len(table.text),
        "mattermost_limit_chars": MATTERMOST_MESSAGE_LIMIT,
    }


def permission_check(mattermost_url: str, bot_token: str, role_names: frozenset[str], target: User,
                     repeat: int = 50) -> dict[str, float]:
    """The caller's permissions and the decision, with the role cache cold (a new client: one
    ``POST /roles/names``) and warm (the same client again)."""
    settings = load_mattermost_settings(mattermost_url=mattermost_url, mattermost_token=bot_token)

    def decide(api: MattermostAPI) -> object:
        granted = permissions_of(api.permissions_of_roles(role_names), role_names)
        return refusal_for(Caller("c" * 26, "caller", "caller@example.com", granted), target, Action.LIST, None)

    warm = MattermostAPI(settings)
    decide(warm)
    return {
        "cold_ms": median_ms(lambda: decide(MattermostAPI(settings)), repeat),
        "warm_ms": median_ms(lambda: decide(warm), repeat * 20),
    }
