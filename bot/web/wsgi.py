"""WSGI entry point for gunicorn (``gunicorn bot.web.wsgi:app``): settings from the environment, the manifest from
``manifest/``; either being invalid stops the start with one clear message."""
from bot.ops.config import load_settings_or_exit
from bot.ops.manifest import load_manifest_or_exit
from bot.web.app import create_app

app = create_app(load_settings_or_exit(), manifest=load_manifest_or_exit())
