"""WSGI entry point for gunicorn (``gunicorn bot.wsgi:app``): settings come from the environment."""
from bot.app import create_app
from bot.config import load_settings_or_exit

app = create_app(load_settings_or_exit())
