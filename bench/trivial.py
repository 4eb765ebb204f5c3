"""Floor (a): the cheapest possible answer to a slash command, served by the bot's gunicorn configuration."""
from flask import Flask, jsonify

app = Flask(__name__)


@app.post("/slash/sessions")
def constant_reply():  # type: ignore[no-untyped-def]
    """An ephemeral reply that does no work at all."""
    return jsonify(response_type="ephemeral", text="ok")


@app.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """What the benchmark polls to know the server is up."""
    return jsonify(status="ok")
