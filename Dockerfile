# deepfeat experiment runner: `docker-compose run experiment` (see README.md, "Docker").
FROM python:3.11.7-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # deepfeat runs as the host's uid, which has no home directory here, so keep Keras' and
    # Matplotlib's caches somewhere writable.
    KERAS_HOME=/tmp/keras \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app

# Dependencies and package first so edits to Data/ or .env don't rebuild them. `deepfeat`
# (an uncommon uid, no host user's) runs deepfeat when the mounted ExpOutput/ is root's.
COPY pyproject.toml README.md ./
COPY src ./src
# The project itself with its dask extra (for the cluster profile); its dependencies are pinned in pyproject.toml.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[dask]" \
    && useradd --create-home --uid 10001 --user-group deepfeat \
    && mkdir -p Models ExpOutput \
    && chown deepfeat:deepfeat Models ExpOutput

# Bundled default data and settings so the image also runs on its own; compose mounts
# the host's Data/ over this copy and passes .env as environment variables.
COPY Data ./Data
COPY .env ./

# Starts as root only to pick the user: the entrypoint runs deepfeat as the owner of the
# mounted ExpOutput/, never as root (docker/entrypoint.sh).
COPY docker/entrypoint.sh /usr/local/bin/deepfeat-entrypoint
ENTRYPOINT ["deepfeat-entrypoint"]
