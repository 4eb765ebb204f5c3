"""mattermost-sessions-bot: manage Mattermost login sessions with the ``/sessions`` slash command.

The package is layered; each folder is one layer, and imports only point down (``pyproject.toml``'s
import-linter contracts check it in CI):

- ``web``, ``setup``: the edges. ``web`` serves Mattermost's requests (the slash command, button clicks,
  probes); ``setup`` is the ``sessions-bot`` command line (install, check, demo). Nothing imports them.
- ``features``: one module per command family; each returns an outcome as a value, never text.
- ``replies``: every text a user sees, rendered from those outcomes; pure.
- ``mattermost``: the one adapter to Mattermost's REST API.
- ``ops``: configuration, logs, metrics, the rate limit.
- ``core``: pure values and rules (commands and their parser, permissions, filters, errors, outcomes).

``sandbox`` is the Mattermost stand-in for tests and the demo: production code never imports it, and it
imports nothing of the bot's.
"""
