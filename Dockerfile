# bridgewatch: the daemon (`bridgewatch run`) by default, any other command for one-off use:
#   docker build -t bridgewatch .
#   docker run -d --name bw -v bw:/data -p 127.0.0.1:8477:8477 bridgewatch
#   docker run --rm -v bw:/data bridgewatch refresh
# The base image is a build argument so the image can be built from a local copy of it.
ARG BASE_IMAGE=python:3.12-slim

# --- build: install the project and its dependencies into a virtual environment -------------------
FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/bridgewatch
WORKDIR /src
# dependencies first, so that a code change does not reinstall them
COPY pyproject.toml ./
RUN /opt/bridgewatch/bin/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && /opt/bridgewatch/bin/pip install -r requirements.txt
COPY . .
RUN /opt/bridgewatch/bin/pip install --no-deps . \
 && /opt/bridgewatch/bin/bridgewatch --version

# --- runtime: the virtual environment, a non-root user, the database on a volume ----------------
FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin bridgewatch \
 && mkdir -p /data && chown bridgewatch:bridgewatch /data
COPY --from=build /opt/bridgewatch /opt/bridgewatch
ENV PATH=/opt/bridgewatch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    BRIDGEWATCH_DB=/data/bridgewatch.db \
    BRIDGEWATCH_HTTP_HOST=0.0.0.0 \
    BRIDGEWATCH_HTTP_PORT=8477
USER bridgewatch
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8477
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["python", "-m", "service.healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["bridgewatch"]
CMD ["run"]
