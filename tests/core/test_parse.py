"""Specification of the ``/sessions`` command grammar (``bot.core.commands.parse``)."""
from __future__ import annotations

import unicodedata

import pytest

from bot.core.commands import (
    ChannelRef,
    Help,
    ListSessions,
    ListStale,
    RevokeAll,
    RevokeMany,
    RevokeSession,
    UserRef,
)
from bot.core.filters import Duration, Platform, SessionFilter
from bot.core.parse import parse
from bot.replies.usage import problem_text

SESSION_ID = "k7w3p9x2m4q8r1t5y6u0z3a9bc"  # 26 characters, like a real Mattermost id
USER_ID = "8xk3m9q2w7p4r1t5y6u0z3a9bd"


def problem_of(text: str) -> str:
    """Parse ``text``, require a Help carrying a problem, and return the problem as the user reads it."""
    command = parse(text)
    assert isinstance(command, Help), f"{text!r} parsed as {command!r}"
    assert command.problem, f"{text!r} gave help without a problem"
    return problem_text(command.problem)


def username(text: str) -> UserRef:
    """The reference ``text`` makes as a username (``@`` dropped, lowercased)."""
    return UserRef("username", text.removeprefix("@").lower(), text)


# --- Listing -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "   ", "\t", "\n", " \r\n\t ", "\u3000", "\xa0"])
def test_empty_text_lists_own_sessions(text: str) -> None:
    assert parse(text) == ListSessions(target=None)


@pytest.mark.parametrize("verb", ["list", "ls", "LIST", "Ls", "lIsT", "LS"])
def test_list_verbs_and_their_case_variants_list_own_sessions(verb: str) -> None:
    assert parse(verb) == ListSessions(target=None)


@pytest.mark.parametrize("verb", ["list", "ls", "LIST"])
def test_list_with_a_user_lists_that_users_sessions(verb: str) -> None:
    assert parse(f"{verb} @alice") == ListSessions(target=username("@alice"))


@pytest.mark.parametrize(
    "text", ["  list   @alice  ", "list\t@alice", "list\n@alice", "\nlist\r\n@alice\n"]
)
def test_any_whitespace_separates_tokens(text: str) -> None:
    assert parse(text) == ListSessions(target=username("@alice"))


@pytest.mark.parametrize(
    "text", ["list alice bob", "ls @alice @bob", "list me alice", "list alice me"]
)
def test_list_with_more_than_one_user_is_a_problem(text: str) -> None:
    problem = problem_of(text)
    assert "one user at most" in problem
    assert f"`{text.split()[2]}`" in problem


# --- Naming users --------------------------------------------------------------------

# (as typed, expected kind, expected value); kind None means the caller.
USER_FORMS = [
    pytest.param("me", None, None, id="me"),
    pytest.param("ME", None, None, id="ME"),
    pytest.param("@me", None, None, id="at-me"),
    pytest.param("@Me", None, None, id="at-Me"),
    pytest.param("@alice", "username", "alice", id="at-username"),
    pytest.param("@Alice.Smith", "username", "alice.smith", id="at-username-mixed-case"),
    pytest.param("alice", "username", "alice", id="bare-username"),
    pytest.param("ALICE", "username", "alice", id="bare-username-upper-case"),
    pytest.param("a.b_c:d-e9", "username", "a.b_c:d-e9", id="username-punctuation"),
    pytest.param("@x", "username", "x", id="one-character-username"),
    pytest.param("@-dash", "username", "-dash", id="at-username-starting-with-dash"),
    pytest.param("@" + "u" * 64, "username", "u" * 64, id="64-character-username"),
    pytest.param("alice@example.com", "email", "alice@example.com", id="email"),
    pytest.param("Alice@Example.COM", "email", "alice@example.com", id="email-mixed-case"),
    pytest.param("a+tag@sub.example.org", "email", "a+tag@sub.example.org", id="email-plus"),
    pytest.param("Jörg@Bücher.de", "email", "jörg@bücher.de", id="email-non-ascii"),
    pytest.param(USER_ID, "id", USER_ID, id="user-id"),
    pytest.param(USER_ID.upper(), "id", USER_ID, id="user-id-upper-case"),
    pytest.param("a" * 25, "username", "a" * 25, id="25-characters-is-a-username"),
    pytest.param("a" * 27, "username", "a" * 27, id="27-characters-is-a-username"),
    pytest.param("a" * 25 + "_", "username", "a" * 25 + "_", id="26-with-underscore-is-a-username"),
    pytest.param("@" + USER_ID, "username", USER_ID, id="at-id-shaped-is-a-username"),
]

# Every place a user can be named.
USER_SLOTS = [
    pytest.param("list {}", id="list"),
    pytest.param("ls {}", id="ls"),
    pytest.param(f"revoke {SESSION_ID} {{}}", id="revoke"),
    pytest.param("revoke-all {}", id="revoke-all"),
    pytest.param("logout-everywhere {}", id="logout-everywhere"),
    pytest.param("revoke all {}", id="revoke-all-two-words"),
]


@pytest.mark.parametrize("template", USER_SLOTS)
@pytest.mark.parametrize(("token", "kind", "value"), USER_FORMS)
def test_every_user_form_is_understood_wherever_a_user_is_named(
    template: str, token: str, kind: str | None, value: str | None
) -> None:
    command = parse(template.format(token))
    assert isinstance(command, (ListSessions, RevokeSession, RevokeAll))
    assert command.target == (None if kind is None else UserRef(kind, value, token))


NOT_USERS = [
    pytest.param("@", id="lone-at"),
    pytest.param("@@alice", id="double-at"),
    pytest.param("@alice!", id="at-username-with-bang"),
    pytest.param("@" + "u" * 65, id="65-character-username"),
    pytest.param("@\u212aate", id="kelvin-sign-look-alike"),
    pytest.param("\u212aate", id="bare-kelvin-sign-look-alike"),
    pytest.param("@jörg", id="at-non-ascii-username"),
    pytest.param("jörg", id="bare-non-ascii-username"),
    pytest.param("alice!", id="bare-word-with-bang"),
    pytest.param("al/ice", id="slash"),
    pytest.param("alice@", id="email-without-domain"),
    pytest.param("a@b@c", id="email-with-two-ats"),
    pytest.param("alice@exa\u202emple.com", id="email-with-rtl-override"),
    pytest.param("alice@exa\x00mple.com", id="email-with-nul"),
    pytest.param("a@" + "b" * 127, id="129-character-email"),
    pytest.param("..", id="dot-dot"),
    pytest.param("@..", id="at-dot-dot"),
    pytest.param("@.", id="at-dot"),
    pytest.param("@all", id="restricted-all"),
    pytest.param("@channel", id="restricted-channel"),
    pytest.param("system", id="restricted-system"),
    pytest.param("@matterbot", id="restricted-matterbot"),
    pytest.param("😀", id="emoji"),
    pytest.param("[click](http://evil)", id="markdown-link"),
    pytest.param("u" * 65, id="65-character-bare-word"),
]


@pytest.mark.parametrize("template", USER_SLOTS)
@pytest.mark.parametrize("token", NOT_USERS)
def test_text_that_names_no_user_is_a_problem(template: str, token: str) -> None:
    assert "is not a username, email address or user id" in problem_of(template.format(token))


def test_an_email_may_be_128_characters_long_as_in_mattermost() -> None:
    email = "a@" + "b" * 126
    assert parse(f"list {email}") == ListSessions(target=UserRef("email", email, email))


def test_email_shape_is_deliberately_loose_and_left_to_the_service_to_resolve() -> None:
    command = parse("list **@channel**")
    assert command == ListSessions(target=UserRef("email", "**@channel**", "**@channel**"))


def test_a_user_problem_quotes_what_was_typed() -> None:
    assert problem_of("list bob!") == "`bob!` is not a username, email address or user id."


def test_a_bare_word_starting_with_a_dash_is_an_option_not_a_user() -> None:
    assert "I don't know the option `-dash`" in problem_of("list -dash")


# --- Revoking one session --------------------------------------------------------------


@pytest.mark.parametrize("verb", ["revoke", "REVOKE", "Revoke"])
def test_revoke_with_a_full_session_id_revokes_it(verb: str) -> None:
    assert parse(f"{verb} {SESSION_ID}") == RevokeSession(session=SESSION_ID, target=None)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [("ABCDEF", "abcdef"), ("AbC123xYz", "abc123xyz"), (SESSION_ID.upper(), SESSION_ID)],
)
def test_revoke_normalises_the_session_to_lower_case(typed: str, normalised: str) -> None:
    assert parse(f"revoke {typed}") == RevokeSession(session=normalised, target=None)


@pytest.mark.parametrize("session", ["k7w3p9", "k7w3p9x", SESSION_ID[:25], SESSION_ID])
def test_revoke_accepts_prefixes_from_6_to_26_characters(session: str) -> None:
    assert parse(f"revoke {session}") == RevokeSession(session=session, target=None)


def test_revoke_with_a_user_revokes_that_users_session() -> None:
    command = parse(f"revoke {SESSION_ID} @bob")
    assert command == RevokeSession(session=SESSION_ID, target=username("@bob"))


@pytest.mark.parametrize("session", ["k", "k7", "k7w3p", "ABCDE", "12345"])
def test_revoke_with_fewer_than_six_characters_is_refused_with_a_hint(session: str) -> None:
    problem = problem_of(f"revoke {session}")
    assert f"`{session}`" in problem
    assert "at least 6 characters" in problem
    assert "`/sessions list`" in problem


def test_revoke_with_five_character_prefix_is_refused_with_a_hint() -> None:
    assert problem_of("revoke k7w3p") == (
        "`k7w3p` is too short: session ids need at least 6 characters. "
        "Copy the id from `/sessions list`."
    )


@pytest.mark.parametrize(
    "session",
    [
        pytest.param(SESSION_ID + "x", id="27-characters"),
        pytest.param("abc-def-ghi", id="dashes"),
        pytest.param("abc_def", id="underscore"),
        pytest.param("abc@def.gh", id="email-shaped"),
        pytest.param("abcdéf", id="non-ascii-letter"),
        pytest.param("١٢٣٤٥٦", id="non-ascii-digits"),
        pytest.param("abc\x00def", id="nul"),
        pytest.param("ab!", id="short-and-bad-characters"),
    ],
)
def test_revoke_with_something_that_is_not_a_session_id_is_a_problem(session: str) -> None:
    assert "is not a session id" in problem_of(f"revoke {session}")


def test_revoke_without_a_session_id_is_a_problem() -> None:
    assert problem_of("revoke") == "`revoke` needs a session id: copy one from `/sessions list`."


@pytest.mark.parametrize(
    "text",
    [
        f"revoke {SESSION_ID} @bob @carol",
        f"revoke {SESSION_ID} me bob",
        f"revoke {SESSION_ID} bob {SESSION_ID}",
    ],
)
def test_revoke_with_extra_arguments_is_a_problem(text: str) -> None:
    problem = problem_of(text)
    assert "one too many" in problem
    assert f"`{text.split()[3]}`" in problem


# --- Revoking every session -------------------------------------------------------------

REVOKE_ALL_SPELLINGS = [
    "revoke-all",
    "REVOKE-ALL",
    "Revoke-All",
    "logout-everywhere",
    "LOGOUT-EVERYWHERE",
    "revoke all",
    "REVOKE ALL",
    "Revoke All",
    "revoke\tall",
]


@pytest.mark.parametrize("verb", REVOKE_ALL_SPELLINGS)
def test_revoke_all_without_yes_asks_for_confirmation(verb: str) -> None:
    assert parse(verb) == RevokeAll(target=None, confirmed=False)


@pytest.mark.parametrize("verb", REVOKE_ALL_SPELLINGS)
@pytest.mark.parametrize("flag", ["--yes", "-y", "--YES", "-Y", "--Yes"])
def test_revoke_all_with_yes_is_confirmed(verb: str, flag: str) -> None:
    assert parse(f"{verb} {flag}") == RevokeAll(target=None, confirmed=True)


def test_logout_everywhere_is_an_alias_for_revoke_all() -> None:
    for args in ["", "@bob", "--yes", "@bob -y", "-y bob@example.com"]:
        assert parse(f"logout-everywhere {args}") == parse(f"revoke-all {args}")


def test_revoke_all_as_two_words_is_an_alias_for_revoke_all() -> None:
    for args in ["", "@bob", "--yes", "@bob -y", "-y bob@example.com"]:
        assert parse(f"revoke all {args}") == parse(f"revoke-all {args}")


@pytest.mark.parametrize(
    "text",
    [
        "revoke-all @bob --yes",
        "revoke-all --yes @bob",
        "revoke-all -y @bob -y",
        "revoke all --yes @bob",
        "logout-everywhere @bob -Y",
    ],
)
def test_yes_flag_may_come_before_or_after_the_user(text: str) -> None:
    assert parse(text) == RevokeAll(target=username("@bob"), confirmed=True)


def test_revoke_all_with_several_users_is_a_bulk_sign_out() -> None:
    assert parse("revoke-all @bob @carol") == RevokeMany((username("@bob"), username("@carol")), (), False)
    assert parse("revoke all bob --yes carol bob") == RevokeMany((username("bob"), username("carol")), (), True)


def test_a_bulk_sign_out_takes_channels_users_and_filters_in_any_order() -> None:
    assert parse("revoke-all ~Incident-42 @bob --inactive 7d ~ops @bob ~incident-42 --yes") == RevokeMany(
        (username("@bob"),), (ChannelRef("incident-42", "~Incident-42"), ChannelRef("ops", "~ops")), True,
        SessionFilter(inactive=Duration(7, "d")))


def test_one_channel_alone_is_a_bulk_sign_out() -> None:
    assert parse("revoke-all ~town-square") == RevokeMany((), (ChannelRef("town-square", "~town-square"),), False)


@pytest.mark.parametrize("text", ["logout-everywhere me bob", "revoke-all ~ops me"])
def test_me_cannot_be_part_of_a_bulk_sign_out(text: str) -> None:
    assert problem_of(text) == "`me` cannot be part of a bulk sign-out: sign yourself out with `revoke-all --yes`."


@pytest.mark.parametrize("token", ["~", "~a/b", "~" + "x" * 65, "~café"])
def test_a_channel_must_be_named_as_in_its_url(token: str) -> None:
    assert problem_of(f"revoke-all {token}").endswith("is not a channel: write `~` and the channel's name as in its URL.")


def test_channels_only_make_sense_for_revoke_all() -> None:
    assert problem_of("list ~ops") == "`~ops` is not a username, email address or user id."


def test_bulk_sign_outs_name_at_most_50_users_and_5_channels() -> None:
    fifty = " ".join(f"@user{n}" for n in range(50))
    assert isinstance(parse(f"revoke-all {fifty}"), RevokeMany)
    assert problem_of(f"revoke-all {fifty} @one-more").startswith("Name at most 50 users")
    channels = " ".join(f"~c{n}" for n in range(6))
    assert problem_of(f"revoke-all {channels}") == "Name at most 5 channels in one command."


def test_all_must_come_straight_after_revoke() -> None:
    assert problem_of("revoke --yes all") == "`--yes` only applies to `revoke-all` and `disable-tokens`."


# --- Help and unknown commands ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["help", "HELP", "Help", "-h", "-H", "--help", "--HELP", "help list", "--help --yes !!!"],
)
def test_help_shows_usage_without_a_problem(text: str) -> None:
    assert parse(text) == Help(problem=None)


@pytest.mark.parametrize(
    "verb",
    ["lst", "show", "revokeall", "revoke_all", "logout", "@alice", "--yes", "-y", "all", "me"],
)
def test_an_unknown_command_is_named_in_the_problem(verb: str) -> None:
    assert problem_of(f"{verb} something") == f"I don't know the command `{verb}`."


@pytest.mark.parametrize("verb", ["\u212aill", "revo\u212ae", "l\u0130st"])
def test_non_ascii_look_alikes_of_verbs_are_unknown_commands(verb: str) -> None:
    assert "I don't know the command" in problem_of(verb)


# --- Options ------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--yes", "-y", "-Y", "--YES"])
@pytest.mark.parametrize(
    "template",
    [
        "list {}",
        "ls {}",
        "list @bob {}",
        "list {} @bob",
        "revoke {}",
        f"revoke {{}} {SESSION_ID}",
        f"revoke {SESSION_ID} {{}}",
        f"revoke {SESSION_ID} @bob {{}}",
    ],
)
def test_yes_flag_on_list_or_revoke_is_a_problem(template: str, flag: str) -> None:
    assert problem_of(template.format(flag)) == "`--yes` only applies to `revoke-all` and `disable-tokens`."


def test_yes_flag_on_list_is_a_problem() -> None:
    assert problem_of("list --yes") == "`--yes` only applies to `revoke-all` and `disable-tokens`."


@pytest.mark.parametrize(
    "option", ["--force", "-f", "--", "-", "--yes=true", "---yes", "--help", "-h", "--all"]
)
@pytest.mark.parametrize(
    "template",
    [
        "list {}",
        "revoke {}",
        f"revoke {SESSION_ID} {{}}",
        "revoke-all {}",
        "revoke-all @bob {}",
        "logout-everywhere {} --yes",
        "revoke all {}",
    ],
)
def test_an_unknown_option_after_the_verb_is_named_in_the_problem(
    template: str, option: str
) -> None:
    assert problem_of(template.format(option)) == f"I don't know the option `{option}`."


# --- Filters on list and revoke-all -------------------------------------------------------

MOBILE_ONLY = SessionFilter(platforms=frozenset({Platform.MOBILE}))
STALE = SessionFilter(inactive=Duration(30, "d"))


def only(*platforms: Platform, older_than: Duration | None = None, inactive: Duration | None = None) -> SessionFilter:
    return SessionFilter(frozenset(platforms), older_than, inactive)


def test_without_filters_a_command_selects_every_session() -> None:
    assert parse("list").filter == parse("revoke-all --yes").filter == SessionFilter()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("--platform mobile", MOBILE_ONLY),
        ("--platform=mobile", MOBILE_ONLY),
        ("--PLATFORM Mobile", MOBILE_ONLY),
        ("--platform web", only(Platform.WEB)),
        ("--platform desktop", only(Platform.DESKTOP)),
        ("--platform api", only(Platform.API)),
        ("--platform mobile,desktop", only(Platform.MOBILE, Platform.DESKTOP)),
        ("--platform mobile --platform desktop", only(Platform.MOBILE, Platform.DESKTOP)),
        ("--platform mobile,mobile", MOBILE_ONLY),
        ("--older-than 30d", only(older_than=Duration(30, "d"))),
        ("--older-than=2w", only(older_than=Duration(2, "w"))),
        ("--inactive 90m", only(inactive=Duration(90, "m"))),
        ("--inactive 12h", only(inactive=Duration(12, "h"))),
        ("--inactive 3650d", only(inactive=Duration(3650, "d"))),
        ("--inactive 007d", only(inactive=Duration(7, "d"))),
        (
            "--platform web --older-than 30d --inactive 7d",
            only(Platform.WEB, older_than=Duration(30, "d"), inactive=Duration(7, "d")),
        ),
    ],
)
@pytest.mark.parametrize("verb", ["list", "ls", "revoke-all", "revoke all", "logout-everywhere"])
def test_list_and_revoke_all_take_filters(verb: str, options: str, expected: SessionFilter) -> None:
    assert parse(f"{verb} {options}").filter == expected


@pytest.mark.parametrize(
    "text",
    [
        "revoke-all @alice --inactive 30d --yes",
        "revoke-all --inactive 30d @alice --yes",
        "revoke-all --yes --inactive 30d @alice",
        "revoke-all --inactive=30d -y @alice",
        "revoke all @alice --yes --inactive 30d",
    ],
)
def test_filters_user_and_yes_may_come_in_any_order(text: str) -> None:
    assert parse(text) == RevokeAll(target=username("@alice"), confirmed=True, filter=STALE)


def test_a_filtered_revoke_all_without_yes_only_previews() -> None:
    assert parse("revoke-all --inactive 30d") == RevokeAll(target=None, confirmed=False, filter=STALE)


def test_a_filtered_list_may_name_a_user() -> None:
    assert parse("list --platform mobile alice@example.com") == ListSessions(
        target=UserRef("email", "alice@example.com", "alice@example.com"), filter=MOBILE_ONLY
    )


@pytest.mark.parametrize(
    "wanted",
    [MOBILE_ONLY, STALE, only(Platform.API, Platform.WEB, older_than=Duration(2, "w"), inactive=Duration(90, "m"))],
)
def test_a_filter_written_back_as_options_parses_to_itself(wanted: SessionFilter) -> None:
    assert parse(f"revoke-all @bob {wanted.options()} --yes").filter == wanted


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("list --platform tablet", "`tablet` is not a platform: use web, desktop, mobile or api (several separated by commas)."),
        ("list --platform mobile,oauth", "`oauth` is not a platform: use web, desktop, mobile or api (several separated by commas)."),
        ("list --platform mobile,", "`mobile,` is not a platform: use web, desktop, mobile or api (several separated by commas)."),
        ("list --platform", "`--platform` needs a platform: web, desktop, mobile or api."),
        ("list --platform=", "`--platform` needs a platform: web, desktop, mobile or api."),
        ("list --inactive", "`--inactive` needs a duration, such as `30d`."),
        ("revoke-all @alice --older-than", "`--older-than` needs a duration, such as `30d`."),
        ("list --inactive 0d", "`--inactive` needs a duration above zero, not `0d`."),
        ("list --inactive -5d", "`--inactive` needs a duration above zero, not `-5d`."),
        ("list --older-than -0m", "`--older-than` needs a duration above zero, not `-0m`."),
        ("list --inactive 3651d", "`3651d` is too long for `--inactive`: the longest is 10 years (`3650d`)."),
        ("list --older-than 522w", "`522w` is too long for `--older-than`: the longest is 10 years (`3650d`)."),
        ("list --inactive " + "9" * 30 + "m", "`" + "9" * 30 + "m` is too long for `--inactive`: the longest is 10 years (`3650d`)."),
        ("list --inactive 1d --inactive 2d", "`--inactive` can only be given once."),
        ("list --older-than 1d --older-than 1d", "`--older-than` can only be given once."),
    ],
)
def test_a_filter_not_understood_says_exactly_what_and_how_to_write_it(text: str, problem: str) -> None:
    assert problem_of(text) == problem


UNITS_HINT = "is not a duration: write a whole number and a unit, m (minutes), h (hours), d (days) or w (weeks), e.g. `30d`."


@pytest.mark.parametrize("value", ["30", "30x", "30y", "3mo", "1.5d", "d", "thirty", "30D", "6M", "+30d", "٣d", "30d!"])
def test_a_duration_needs_a_whole_number_and_a_lowercase_unit(value: str) -> None:
    # "6M" is refused rather than read as 6 minutes: someone typing it likely means six months.
    assert problem_of(f"list --inactive {value}") == f"`{value}` {UNITS_HINT}"


def test_a_duration_separated_from_its_unit_is_not_understood() -> None:
    assert problem_of("list --inactive 30 d") == f"`30` {UNITS_HINT}"


@pytest.mark.parametrize("option", ["--platform web", "--older-than 30d", "--inactive=7d"])
def test_filters_do_not_apply_to_revoking_one_session(option: str) -> None:
    name = option.split()[0].split("=")[0]
    expected = f"`{name}` only applies to `list` and `revoke-all`."
    assert problem_of(f"revoke {SESSION_ID} {option}") == expected
    assert problem_of(f"revoke {option}") == expected


def test_a_filter_value_may_not_name_the_user() -> None:
    assert problem_of("list --platform @alice").startswith("`@alice` is not a platform")


@pytest.mark.parametrize("text", ["list --platform mobile --yes", "list --yes --inactive 7d"])
def test_yes_still_only_applies_to_revoke_all(text: str) -> None:
    assert problem_of(text) == "`--yes` only applies to `revoke-all` and `disable-tokens`."


def test_options_with_an_equals_sign_other_than_filters_are_unknown() -> None:
    assert problem_of("revoke-all --yes=true --inactive 7d") == "I don't know the option `--yes=true`."


# --- Several problems: the first one, left to right, is reported ----------------------


@pytest.mark.parametrize(
    ("text", "expected_start"),
    [
        ("list --bogus bob!", "I don't know the option `--bogus`"),
        ("list bob! --bogus", "`bob!` is not a username"),
        ("list --yes --bogus", "`--yes` only applies"),
        ("list --bogus --yes", "I don't know the option `--bogus`"),
        ("revoke abc --yes", "`abc` is too short"),
        ("revoke --yes abc", "`--yes` only applies"),
        ("revoke abc! bob!", "`abc!` is not a session id"),
        (f"revoke {SESSION_ID} bob! --bogus", "`bob!` is not a username"),
        ("revoke-all bob carol! --bogus", "`carol!` is not a username"),
        ("revoke-all --bogus bob carol", "I don't know the option `--bogus`"),
        ("revoke-all bob! carol", "`bob!` is not a username"),
        ("revoke-all --inactive 0d bob!", "`--inactive` needs a duration above zero"),
        ("revoke-all bob! --inactive 0d", "`bob!` is not a username"),
        ("list --platform tablet --inactive 0d", "`tablet` is not a platform"),
    ],
)
def test_the_first_problem_from_the_left_is_reported(text: str, expected_start: str) -> None:
    assert problem_of(text).startswith(expected_start)


# --- Robustness: nasty input never raises and problems stay short, single-line and safe -----

NASTY = [
    pytest.param("\x00", id="nul"),
    pytest.param("a\x00b", id="nul-inside"),
    pytest.param("\u202eevil", id="rtl-override"),
    pytest.param("\u2066x\u2069\u200b\u200d\ufeff", id="isolates-zero-width-bom"),
    pytest.param("```", id="backticks-only"),
    pytest.param("`x`y`", id="backticks-inside"),
    pytest.param("😀", id="emoji"),
    pytest.param("👩\u200d💻🏳️\u200d🌈", id="zwj-emoji"),
    pytest.param("|x|[click](http://evil)", id="markdown-table-and-link"),
    pytest.param("**@@channel**", id="markdown-mention"),
    pytest.param("<script>alert(1)</script>", id="html"),
    pytest.param("\ud800", id="lone-surrogate"),
    pytest.param("\x1b[31mred", id="ansi-escape"),
    pytest.param("\x7f\x80\x9f", id="c1-controls"),
    pytest.param("e\u0301\u0301\u0301\u0301", id="combining-marks"),
    pytest.param("x" * 100_000, id="100k-token"),
    pytest.param("`\u202e" * 50_000, id="100k-of-hidden-characters"),
    pytest.param(
        "".join(char for char in map(chr, range(0x110000)) if not char.isspace()),
        id="every-code-point-in-one-token",
    ),
]

NASTY_TEMPLATES = [
    pytest.param("{}", id="as-verb"),
    pytest.param("list --platform {}", id="as-platform"),
    pytest.param("revoke-all --inactive {}", id="as-duration"),
    pytest.param("list --older-than=1{}", id="as-duration-unit"),
    pytest.param("list {}", id="as-list-user"),
    pytest.param("revoke {}", id="as-session"),
    pytest.param(f"revoke {SESSION_ID} {{}}", id="as-revoke-user"),
    pytest.param("revoke-all --yes {}", id="as-revoke-all-user"),
    pytest.param("list -{}", id="as-option"),
    pytest.param("list a {}", id="as-extra-user"),
]

HIDDEN_OR_LINE_BREAKING = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def assert_safe_problem(problem: str) -> None:
    """A problem is short, one line, shows nothing hidden, and its code spans are balanced."""
    assert len(problem) < 200
    assert not any(unicodedata.category(char) in HIDDEN_OR_LINE_BREAKING for char in problem)
    assert problem.count("`") % 2 == 0


@pytest.mark.parametrize("template", NASTY_TEMPLATES)
@pytest.mark.parametrize("nasty", NASTY)
def test_nasty_input_gives_a_short_single_line_safe_problem(template: str, nasty: str) -> None:
    assert_safe_problem(problem_of(template.format(nasty)))


def test_many_repeated_users_stop_at_the_second() -> None:
    problem = problem_of("list " + "alice " * 20_000)
    assert problem == "Name one user at most: `alice` is one too many."


def test_many_repeated_yes_flags_still_confirm() -> None:
    assert parse("revoke-all " + "--yes " * 20_000) == RevokeAll(target=None, confirmed=True)


def test_hidden_characters_and_backticks_are_stripped_from_quoted_text() -> None:
    problem = problem_of("list \u202e`ev\x00il`\u200b!")
    assert problem == "`evil!` is not a username, email address or user id."


def test_text_with_nothing_visible_is_quoted_as_a_replacement_character() -> None:
    assert problem_of("``` list") == "I don't know the command `\N{REPLACEMENT CHARACTER}`."


def test_long_quoted_text_is_cut_to_40_characters_with_an_ellipsis() -> None:
    assert problem_of("x" * 41) == "I don't know the command `" + "x" * 39 + "…`."


def test_quoted_text_of_exactly_40_characters_is_not_cut() -> None:
    assert problem_of("x" * 40) == "I don't know the command `" + "x" * 40 + "`."


def test_markdown_in_a_problem_stays_inside_a_code_span() -> None:
    assert problem_of("list [click](http://evil)") == (
        "`[click](http://evil)` is not a username, email address or user id."
    )


def test_newlines_separate_tokens_rather_than_reaching_the_problem() -> None:
    assert problem_of("list alice\nbob") == "Name one user at most: `bob` is one too many."


# --- Personal access tokens -----------------------------------------------------------------

from bot.core.commands import DisableTokens, ListTokens, RevokeEveryone  # noqa: E402


@pytest.mark.parametrize("text, expected", [
    ("tokens", ListTokens(None)),
    ("TOKENS me", ListTokens(None)),
    ("tokens @alice", ListTokens(username("@alice"))),
    ("tokens alice@example.com", ListTokens(UserRef("email", "alice@example.com", "alice@example.com"))),
    ("disable-tokens", DisableTokens(None, confirmed=False)),
    ("disable-tokens @alice", DisableTokens(username("@alice"), confirmed=False)),
    ("disable-tokens --yes @alice", DisableTokens(username("@alice"), confirmed=True)),
    ("Disable-Tokens @alice -y", DisableTokens(username("@alice"), confirmed=True)),
])
def test_token_commands(text: str, expected) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text, problem", [
    ("tokens --yes", "`--yes` only applies to `revoke-all` and `disable-tokens`."),
    ("tokens @alice @bob", "Name one user at most: `@bob` is one too many."),
    ("disable-tokens @alice @bob", "Name one user at most: `@bob` is one too many."),
    ("disable-tokens --inactive 30d", "`--inactive` only applies to `list` and `revoke-all`."),
    ("tokens --platform api", "`--platform` only applies to `list` and `revoke-all`."),
    ("list --tokens", "`--tokens` only applies to `revoke-all`."),
    ("disable-tokens --tokens", "`--tokens` only applies to `revoke-all`."),
    ("revoke-all --tokens=yes", "I don't know the option `--tokens=yes`."),
])
def test_token_command_problems(text: str, problem: str) -> None:
    assert problem_of(text) == problem


@pytest.mark.parametrize("text", ["revoke-all --tokens @alice", "revoke-all @alice --TOKENS", "revoke all @alice --tokens"])
def test_revoke_all_with_tokens(text: str) -> None:
    assert parse(text) == RevokeAll(username("@alice"), confirmed=False, tokens=True)


def test_revoke_all_with_tokens_confirmed_for_yourself() -> None:
    assert parse("revoke-all --tokens --yes") == RevokeAll(None, confirmed=True, tokens=True)


def test_bulk_revoke_all_with_tokens() -> None:
    assert parse("revoke-all @alice ~ops --tokens --yes") == RevokeMany(
        (username("@alice"),), (ChannelRef("ops", "~ops"),), confirmed=True, tokens=True)


def test_revoke_all_without_tokens_leaves_them_alone() -> None:
    assert parse("revoke-all @alice --yes").tokens is False
    assert parse("revoke-all @alice @bob").tokens is False


@pytest.mark.parametrize("text", ["revoke-all --tokens --inactive 30d", "revoke-all @a @b --platform web --tokens"])
def test_tokens_do_not_combine_with_filters(text: str) -> None:
    assert problem_of(text).startswith("`--tokens` disables every token, so it cannot be combined with a filter")


# --- Everyone ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("revoke-all --everyone", RevokeEveryone(None)),
    ("revoke all --EVERYONE", RevokeEveryone(None)),
    ("logout-everywhere --everyone", RevokeEveryone(None)),
    ("revoke-all --everyone --confirm k7px2m", RevokeEveryone("K7PX2M")),
    ("revoke-all --confirm K7PX2M --everyone", RevokeEveryone("K7PX2M")),
    ("revoke-all --everyone --confirm=k7px2m", RevokeEveryone("K7PX2M")),
])
def test_revoke_everyone(text: str, expected: RevokeEveryone) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text, start", [
    ("revoke-all --everyone --yes", "`--everyone` is never confirmed with `--yes`"),
    ("revoke-all -y --everyone --confirm ABCDEF", "`--everyone` is never confirmed with `--yes`"),
    ("revoke-all --everyone @alice", "`@alice` cannot go with `--everyone`"),
    ("revoke-all ~ops --everyone", "`~ops` cannot go with `--everyone`"),
    ("revoke-all --everyone --tokens", "`--tokens` cannot go with `--everyone`"),
    ("revoke-all --everyone --inactive 30d", "`--inactive` cannot go with `--everyone`"),
    ("revoke-all --everyone --confirm", "`--confirm` needs the code"),
    ("revoke-all --everyone --confirm ab-cd", "`ab-cd` is not a confirmation code"),
    ("revoke-all --everyone --confirm ABCDEF --confirm ABCDEF", "`--confirm` can only be given once."),
    ("revoke-all --confirm ABCDEF", "`--confirm` only applies to `revoke-all --everyone`."),
    ("list --everyone", "`--everyone` only applies to `revoke-all`."),
])
def test_revoke_everyone_problems(text: str, start: str) -> None:
    assert problem_of(text).startswith(start)


@pytest.mark.parametrize(("text", "days"), [("list --stale", 30), ("ls --stale 7d", 7), ("list --STALE=14d", 14)])
def test_list_stale_looks_at_the_team_with_a_default_of_30_days(text: str, days: int) -> None:
    assert parse(text) == ListStale(Duration(days, "d"))


@pytest.mark.parametrize("text", ["list --stale @alice", "list @alice --stale", "list --stale 7d --inactive 3d"])
def test_list_stale_takes_nothing_but_a_duration(text: str) -> None:
    assert problem_of(text) == "`--stale` looks at your whole team: it takes a duration (e.g. `30d`), nothing else."


def test_a_stale_duration_is_checked_like_every_duration() -> None:
    assert problem_of("list --stale 0d") == "`--stale` needs a duration above zero, not `0d`."


def test_stale_only_applies_to_list() -> None:
    assert problem_of("revoke-all --stale") == "`--stale` only applies to `list`."
