"""Specification of the stand-in's mention rule: whom a post created with ``POST /posts`` notifies by mentioning
them, as the server decides it (``app/notification.go`` ``getExplicitMentionsAndKeywords``/``getExplicitMentions``,
``app/mention_keywords.go`` ``AddUser``, ``app/mention_parser_standard.go`` ``ProcessText``/``checkForMention``,
``public/shared/markdown`` ``Inspect``/``parseBackticks``: only Markdown text is read, never a code span)."""
from __future__ import annotations

import pytest

from bot.sandbox import World
from bot.sandbox.mentions import explicit_mentions, keywords_of, text_runs
from tests.support.lookups import uid
from tests.support.standin import Api


@pytest.fixture
def channel(world: World) -> dict:
    return world.add_channel("security-audit", members=["sessionsbot", "sysadmin", "alice", "bob", "usermanager"])


@pytest.fixture
def post(world: World, url: str, channel: dict):
    """``POST /api/v4/posts`` as the bot; whom the stored post notified by mentioning them (usernames)."""
    api = Api(url, world.bot_token)

    def send(message: str, **props) -> set[str]:
        response = api.post("/posts", {"channel_id": channel["id"], "message": message, "props": props})
        assert response.status_code == 201, response.text
        names = {u["id"]: u["username"] for u in world.users()}
        return {names[i] for i in world.mentions_in(response.json()["id"]).user_ids}

    return send


@pytest.mark.parametrize("message, mentioned", [
    ("hello @alice", {"alice"}),
    ("@ALICE, @bob.", {"alice", "bob"}),                    # case-insensitive; trailing punctuation trimmed
    ("(@alice)", {"alice"}),                                # punctuation other than .-_: ends a word
    ("@alice's phone", {"alice"}),
    ("@alice_", {"alice"}),                                 # the word without its trailing "_" is tried too
    ("email@alice", set()),                                 # "email@alice" is one word, no keyword
    ("@carol", set()),                                      # not a member: no keyword
    ("alice", set()),                                       # a bare name is no mention by default
    ("`@alice`", set()),                                    # a code span is never read
    ("see `@alice` and `@bob`", set()),
    ("``@alice ` @bob``", set()),                           # a span opened by two backticks ends at two
    ("`@alice", {"alice"}),                                 # a backtick that never closes is text
    ("```\n@alice\n```", set()),                            # (read as a code span: the server skips the block)
    ("\\@alice", {"alice"}),                                # an escaped @ is still the text "@"
    (":alice:", set()),                                     # read as an emoji
])
def test_which_words_mention_a_member(post, message, mentioned):
    assert post(message) == mentioned


def test_the_poster_never_mentions_themself(post):
    assert post("@sessionsbot says hi") == set()


def test_here_channel_and_all_notify_every_member_who_keeps_channel_mentions_on(world, post):
    world.set_notify_props("bob", channel="false")
    assert post("@here") == post("@channel") == post("@ALL") == {"sysadmin", "alice", "usermanager"}


def test_channel_mentions_notify_nobody_in_a_channel_of_a_thousand_members(world, url):
    """``allowChannelMentions``: not from ``TeamSettings.MaxNotificationsPerChannel`` (1000) members on."""
    crowd = [user["username"] for user in world.add_users("crowd", 999)]
    big = world.add_channel("big", members=["sessionsbot", *crowd])
    response = Api(url, world.bot_token).post("/posts", {"channel_id": big["id"], "message": f"@all @{crowd[0]}"})
    verdict = world.mentions_in(response.json()["id"])
    assert verdict.user_ids == {uid(world, crowd[0])} and verdict.channel_wide == {"@all"}


def test_custom_keywords_and_the_first_name_mention_too(world, post):
    world.set_notify_props("alice", mention_keys=" Security ,@alice", first_name="true")
    assert post("SECURITY review") == post("Alice?") == {"alice"}
    assert post("alice?") == set()  # the first name is case-sensitive
    world.set_notify_props("alice", mention_keys="alice,@alice")  # the webapp's "non case-sensitive username" box
    assert post("ask ALICE") == {"alice"}
    assert post("`alice` `Security` `Alice`") == set()


def test_attachment_pretext_text_and_field_values_are_read_too(post):
    assert post("", attachments=[{"pretext": "@alice"}, {"text": "@bob", "fields": [{"title": "x", "value": "@sysadmin"}]}]
                ) == {"alice", "bob", "sysadmin"}
    assert post("", attachments=[{"title": "@alice"}]) == set()


def test_a_direct_message_notifies_its_other_member(world, url):
    dm = world.get_or_create_direct_channel(world.bot_user_id, uid(world, "alice"))
    response = Api(url, world.bot_token).post("/posts", {"channel_id": dm["id"], "message": "`nothing`"})
    assert world.mentions_in(response.json()["id"]).user_ids == {uid(world, "alice")}


def test_text_runs_are_what_the_parser_reads():
    assert text_runs("a `b` c") == ["a ", " c"]
    assert text_runs("``x`y`` z") == [" z"]
    assert text_runs("`open") == ["`open"]
    assert text_runs("\\`x`") == ["`x`"]  # an escaped backtick opens nothing


def test_the_old_audit_line_mentioned_its_actor_and_target():
    members = [{"id": "a" * 26, "username": "bob", "notify_props": {}},
               {"id": "b" * 26, "username": "sysadmin", "notify_props": {}}]
    keywords = keywords_of(members, channel_mentions=True)
    old = {"message": "🔐 @bob · list · @sysadmin · **refused** (needs edit other users) · via slash"}
    new = {"message": "🔐 `@bob` · list · `@sysadmin` · **refused** (needs edit other users) · via slash"}
    assert explicit_mentions(old, keywords).user_ids == {"a" * 26, "b" * 26}
    assert explicit_mentions(new, keywords).user_ids == frozenset()
