# An npm stdio MCP server at an exact version, behind kaos-stdio-adapter: what
# `kaos mcp build --from npx://PACKAGE@VERSION` builds. The package is installed here, at build
# time, never at pod start.
#
#   docker build -f templates/npx.Dockerfile \
#     --build-arg PACKAGE=@modelcontextprotocol/server-memory --build-arg VERSION=2026.8.31 \
#     --build-arg ADAPTER_IMAGE=ghcr.io/kaos-tools/kaos-stdio-adapter:0.1.0 -t my/memory:2026.8.31 .
#
# BIN picks the package's executable when it has several (default: its only one).
# The pod's args are appended to the server's command; adapter settings come from KAOS_ADAPTER_*
# environment variables (KAOS_ADAPTER_MODE=per-session, ...).
ARG ADAPTER_IMAGE=ghcr.io/kaos-tools/kaos-stdio-adapter:0.1.0
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

FROM ${ADAPTER_IMAGE} AS adapter

FROM ${NODE_IMAGE}
ARG PACKAGE
ARG VERSION
ARG BIN=
# Optional registry mirror for the install below (npm reads it from the env).
ARG NPM_CONFIG_REGISTRY
ENV HOME=/tmp NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false

RUN set -eu; \
    [ -n "${PACKAGE:-}" ] || { echo "build arg PACKAGE is required, e.g. --build-arg PACKAGE=@modelcontextprotocol/server-memory" >&2; exit 1; }; \
    printf '%s' "${VERSION:-}" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$' \
      || { echo "build arg VERSION must be an exact version such as 2026.8.31, got '${VERSION:-}'" >&2; exit 1; }; \
    mkdir -p /opt/mcp; cd /opt/mcp; \
    npm install --prefix /opt/mcp --omit=dev --no-audit --no-fund --save-exact "${PACKAGE}@${VERSION}"; \
    name="$(node -e ' \
      const [dir, pkg, want] = process.argv.slice(1); \
      const p = require(dir + "/node_modules/" + pkg + "/package.json"); \
      let bins = p.bin || {}; \
      if (typeof bins === "string") bins = { [p.name.replace(/^@[^/]+\//, "")]: bins }; \
      const names = Object.keys(bins); \
      const name = want || (names.length === 1 ? names[0] : ""); \
      if (!name || !names.includes(name)) { \
        console.error(`${p.name} has the executables [${names.join(", ")}]; pick one with --build-arg BIN=`); \
        process.exit(1); \
      } \
      console.log(name);' /opt/mcp "${PACKAGE}" "${BIN}")"; \
    ln -s "/opt/mcp/node_modules/.bin/${name}" /opt/mcp/mcp-server; \
    npm cache clean --force >/dev/null 2>&1 || true

COPY --from=adapter /kaos-stdio-adapter /kaos-stdio-adapter
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["/kaos-stdio-adapter", "--", "/opt/mcp/mcp-server"]
