# A PyPI stdio MCP server at an exact version, behind kaos-stdio-adapter: what
# `kaos mcp build --from uvx://PACKAGE@VERSION` builds. The package is installed into a venv here,
# at build time, never at pod start.
#
#   docker build -f templates/uvx.Dockerfile \
#     --build-arg PACKAGE=mcp-server-fetch --build-arg VERSION=2026.10.24 \
#     --build-arg ADAPTER_IMAGE=ghcr.io/kaos-tools/kaos-stdio-adapter:0.1.0 -t my/fetch:2026.10.24 .
#
# BIN is the console script to run; like uvx, it defaults to the package's name.
# The pod's args are appended to the server's command; adapter settings come from KAOS_ADAPTER_*
# environment variables.
ARG ADAPTER_IMAGE=ghcr.io/kaos-tools/kaos-stdio-adapter:0.1.0
ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm

FROM ${ADAPTER_IMAGE} AS adapter

FROM ${PYTHON_IMAGE}
ARG PACKAGE
ARG VERSION
ARG BIN=
# Optional mirror for the install below (pip reads these from the env).
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ENV HOME=/tmp PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN set -eu; \
    [ -n "${PACKAGE:-}" ] || { echo "build arg PACKAGE is required, e.g. --build-arg PACKAGE=mcp-server-fetch" >&2; exit 1; }; \
    printf '%s' "${VERSION:-}" | grep -Eq '^[0-9][0-9A-Za-z.!+-]*$' \
      || { echo "build arg VERSION must be an exact version such as 2026.10.24, got '${VERSION:-}'" >&2; exit 1; }; \
    python3 -m venv /opt/mcp; \
    /opt/mcp/bin/pip install --no-input "${PACKAGE}==${VERSION}"; \
    name="${BIN:-${PACKAGE}}"; \
    [ -x "/opt/mcp/bin/${name}" ] || { echo "${PACKAGE} installs no console script '${name}'; pick one with --build-arg BIN= (found: $(ls /opt/mcp/bin | tr '\n' ' '))" >&2; exit 1; }; \
    ln -s "/opt/mcp/bin/${name}" /opt/mcp/mcp-server

COPY --from=adapter /kaos-stdio-adapter /kaos-stdio-adapter
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["/kaos-stdio-adapter", "--", "/opt/mcp/mcp-server"]
