# The sessions bot, run exactly as the Procfile says, as an unprivileged user, from the wheel: the image holds the
# bot's packages and the manifest (inside the wheel), never the Mattermost stand-in or the tests.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY manifest ./manifest
RUN pip wheel --no-cache-dir --no-deps -w /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8080
WORKDIR /app
COPY --from=build /wheels /wheels
COPY gunicorn.conf.py Procfile ./
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin sessionsbot

USER 10001
EXPOSE 8080
# gunicorn stops on SIGTERM gracefully: in-flight commands finish (graceful_timeout in gunicorn.conf.py).
CMD ["gunicorn", "bot.web.wsgi:app"]
