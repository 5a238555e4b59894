# deepfeat experiment runner: `docker-compose run experiment` (see README.md, "Docker").
FROM python:3.11.7-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The container may run under the host's uid (compose `user:`), which has no home
    # directory here, so keep Keras' and Matplotlib's caches somewhere writable.
    KERAS_HOME=/tmp/keras \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app

# Dependencies and package first so edits to Data/ or .env don't rebuild them.
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 1000 --user-group deepfeat \
    && mkdir -p Models ExpOutput \
    && chown deepfeat:deepfeat Models ExpOutput

# Bundled default data and settings so the image also runs on its own; compose mounts
# the host's Data/ over this copy and passes .env as environment variables.
COPY Data ./Data
COPY .env ./

# Numeric form (= deepfeat) so runtimes can verify the user is not root.
USER 1000:1000

ENTRYPOINT ["deepfeat"]
