# Casewatch: `python -m bot run` in a small image, as a user of its own (README: "Run in production").
# The base is an exact Python release on Debian 12 (slim); where you build, pin its digest too:
#   docker buildx imagetools inspect python:3.11.13-slim-bookworm   → FROM python:3.11.13-slim-bookworm@sha256:…
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 casewatch \
    && useradd --system --uid 10001 --gid casewatch --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin casewatch \
    && install -d -o casewatch -g casewatch -m 0750 /data

WORKDIR /app
# The runtime dependencies only (wheels: no compiler needed), in a layer of their own.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY bot/ bot/
COPY feeds/ feeds/
COPY handlers/ handlers/
COPY storage/ storage/
COPY deploy/healthcheck.py deploy/

# The database lives on a volume; the Slack credentials come from the environment at run time
# (compose.yaml's env_file), never from the image.
ENV CASEWATCH_DB=/data/casewatch.db \
    HOST=0.0.0.0 \
    PORT=3000
VOLUME ["/data"]
EXPOSE 3000
USER casewatch:casewatch

# run answers GET /healthz once it serves; start-up (catalog, search, the watch index) takes a few seconds.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["python", "/app/deploy/healthcheck.py"]
# On SIGTERM, run stops taking work, lets polls and sends in flight end (at most 20 s) and releases its lease.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
