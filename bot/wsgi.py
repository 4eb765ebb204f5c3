"""WSGI entry point for gunicorn (``gunicorn bot.wsgi:app``): settings from the environment, the manifest from
``manifest/``; either being invalid stops the start with one clear message."""
from bot.app import create_app
from bot.config import load_settings_or_exit
from bot.manifest import load_manifest_or_exit

app = create_app(load_settings_or_exit(), manifest=load_manifest_or_exit())
