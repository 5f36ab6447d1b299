# One image for every daphne process (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
# (pyproject.toml declares no packages: `pip install .` installs the dependencies; the code runs from /app.)
COPY pyproject.toml README.md ./
RUN pip install . && rm -rf build *.egg-info

COPY . .

# Static files are collected (and compressed by WhiteNoise) at build time; the key is a
# placeholder for this step only, the real one comes from the environment at run time.
RUN DEBUG=0 SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput \
    && useradd --system --no-create-home --uid 10001 app

USER app
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "empathymap.asgi:application"]
