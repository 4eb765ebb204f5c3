"""Probes for orchestrators: /healthz never calls Mattermost; /readyz says whether the bot can work, cheaply."""
from bot.web.readiness import Readiness


def test_readyz_is_200_when_mattermost_answers_and_the_token_works(bot):
    response = bot.http.get(bot.url + "/readyz", timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "ready"}


def test_readyz_is_503_with_the_reason_when_the_token_is_revoked(world, api):
    world.revoke_token(world.bot_token)
    readiness = Readiness(api)
    assert readiness.problem() == "Mattermost rejected the bot's token (MATTERMOST_TOKEN)"


def test_readyz_is_503_when_mattermost_is_down(bot, mattermost):
    mattermost.stop()
    response = bot.http.get(bot.url + "/readyz", timeout=10)
    assert response.status_code == 503
    assert response.json()["reason"] == "Mattermost unreachable: the connection failed"


def test_readiness_is_cached_so_probes_do_not_hammer_mattermost(world, api):
    now = [100.0]
    readiness = Readiness(api, ttl_s=5, clock=lambda: now[0])
    for _ in range(10):
        assert readiness.problem() is None
    now[0] += 5
    readiness.problem()
    assert len(world.calls(path_regex=r"/users/me$")) == 2


def test_healthz_stays_up_and_silent_when_mattermost_is_down(bot, mattermost, world):
    mattermost.stop()
    assert bot.http.get(bot.url + "/healthz", timeout=5).json() == {"status": "ok"}
    assert world.exchanges == []
