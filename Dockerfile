# One image for every Tandem process; docker-compose.yml runs it as separate containers
# (the web app, one projector per service, and a one-shot `tandem migrate`).
#
#   docker build -t tandem .
#   docker run --rm tandem tandem --help
# GOV.UK Frontend's built assets for the web pages, from the npm registry (not the repository).
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . /app
COPY --from=assets /app/node_modules /app/node_modules

# Installs Tandem's dependencies and the `tandem` command.
RUN pip install .

# The source tree, not the installed copy, is what runs: the Alembic migrations
# (projections/migrations), the Avro schemas (schemas/avro) and the information sharing
# agreements (agreements/) live outside the Python packages, so a plain `pip install .` does
# not carry them into site-packages. PYTHONPATH puts /app first; the two settings below name
# the schema and agreement folders explicitly.
ENV PYTHONPATH=/app \
    TANDEM_SCHEMAS_DIR=/app/schemas/avro \
    TANDEM_AGREEMENTS_DIR=/app/agreements \
    TANDEM_DATA_DIR=/var/lib/tandem \
    TANDEM_HTTP_HOST=0.0.0.0

# Run as an unprivileged user. /var/lib/tandem holds the local key files (key-encryption key,
# blind-index key, token secret); compose mounts a volume there that every Tandem container
# shares. Production should use a KMS or Vault key provider instead of a key file.
RUN useradd --system --uid 10001 --home-dir /var/lib/tandem --shell /usr/sbin/nologin tandem \
    && mkdir -p /var/lib/tandem \
    && chown tandem:tandem /var/lib/tandem
USER tandem

EXPOSE 8000
CMD ["tandem", "serve"]
