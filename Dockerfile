# The sessions bot, run exactly as the Procfile says, as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8080

WORKDIR /app
COPY pyproject.toml README.md Procfile gunicorn.conf.py ./
COPY bot ./bot
COPY manifest ./manifest
# Editable, so the package finds manifest/ beside it (bot.manifest.MANIFEST_PATH), for gunicorn and the CLI alike.
RUN pip install --no-cache-dir -e . \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin sessionsbot

USER 10001
EXPOSE 8080
# gunicorn stops on SIGTERM gracefully: in-flight commands finish (graceful_timeout in gunicorn.conf.py).
CMD ["gunicorn", "bot.web.wsgi:app"]
