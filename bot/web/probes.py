"""Probes: ``/healthz`` (the process is up, no upstream call) and ``/readyz`` (Mattermost answers and the token works)."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from bot.web.parts import parts

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    """The process is up; Mattermost is not contacted."""
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 when Mattermost answers and the bot's token is valid, else 503 with the reason."""
    problem = parts().readiness.problem()
    if problem is None:
        return jsonify(status="ready"), 200
    return jsonify(status="not ready", reason=problem), 503
