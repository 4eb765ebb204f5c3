"""The typed confirmation of `revoke-all --everyone`: stateless, per caller, per 10-minute window (bot.features.everyone)."""
import pytest

from bot.features.everyone import (
    CODE_LENGTH,
    CODE_WINDOW_S,
    ConfirmationCodes,
    confirmation_code,
)

SECRET = "s" * 40
ALICE, BOB = "a" * 26, "b" * 26
START = 1_800_000_000.0  # the start of a window: 1_800_000_000 is a multiple of 600


def codes_at(clock: list[float], secret: str = SECRET) -> ConfirmationCodes:
    return ConfirmationCodes(secret, clock=lambda: clock[0])


def test_a_code_is_six_unambiguous_characters():
    code = confirmation_code(SECRET, ALICE, 3_000_000)
    assert len(code) == CODE_LENGTH and set(code) <= set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")


def test_the_code_is_accepted_in_any_case():
    clock = [START]
    codes = codes_at(clock)
    assert codes.accepts(ALICE, codes.current(ALICE).lower())


def test_a_code_works_in_its_window_and_the_next_then_never_again():
    clock = [START]
    codes = codes_at(clock)
    code = codes.current(ALICE)
    clock[0] += CODE_WINDOW_S - 1
    assert codes.accepts(ALICE, code)
    clock[0] += 1  # the next window: still accepted, so a code shown at the end of a window has time
    assert codes.accepts(ALICE, code) and codes.current(ALICE) != code
    clock[0] += CODE_WINDOW_S
    assert not codes.accepts(ALICE, code)


def test_a_code_belongs_to_one_caller_and_one_secret():
    clock = [START]
    code = codes_at(clock).current(ALICE)
    assert not codes_at(clock).accepts(BOB, code)
    assert not codes_at(clock, "t" * 40).accepts(ALICE, code)


def test_any_replica_sharing_the_secret_accepts_the_code():
    clock = [START]
    assert codes_at(clock).accepts(ALICE, codes_at(clock).current(ALICE))


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDEFG", "       "])
def test_malformed_codes_are_refused(typed):
    assert not codes_at([START]).accepts(ALICE, typed)


def test_codes_need_a_secret():
    with pytest.raises(ValueError):
        ConfirmationCodes("")
