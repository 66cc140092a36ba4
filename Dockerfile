# Jiesu (接诉) image: `docker build -t jiesu .`; see docs/operating.md ("Containers") and compose.yaml.
# Stage 1 builds a virtualenv with Jiesu and its dependencies; stage 2 copies only that virtualenv
# onto a slim Python, adds the CJK font for charts and runs as an unprivileged user.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/jiesu
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY models ./models
COPY scheduler ./scheduler
RUN /opt/jiesu/bin/pip install --no-compile .

FROM python:3.11-slim-bookworm
# Noto Sans CJK (SIL OFL, Debian's fonts-noto-cjk) draws the Chinese labels of the /stats chart and
# the printable sheets. Debian stable's security updates are taken at build time, so it is not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/jiesu --create-home jiesu
COPY --from=build /opt/jiesu /opt/jiesu
COPY examples /usr/share/jiesu/examples
COPY config.example.toml /usr/share/jiesu/config.example.toml
COPY deploy/config.container.toml /etc/jiesu/config.toml
ENV PATH=/opt/jiesu/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PTB_TIMEDELTA=true
USER 10001:10001
WORKDIR /var/lib/jiesu
VOLUME ["/var/lib/jiesu"]
EXPOSE 8080
# Healthy once /healthz says every part is up (database, sender, scheduler, channels).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["jiesu"]
CMD ["run", "--config", "/etc/jiesu/config.toml"]
