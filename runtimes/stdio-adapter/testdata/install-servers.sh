#!/usr/bin/env bash
# Installs the real stdio MCP servers the adapter's tests and benchmark run, at pinned versions,
# into a cache directory (default ~/.cache/kaos-adapter-test):
#   npm/     @modelcontextprotocol/server-everything, -memory, -filesystem (testdata/npm, lockfile)
#   venv/    mcp-server-fetch and its dependencies (testdata/requirements-fetch.txt, PyPI)
#   conformance/  @modelcontextprotocol/conformance and Node 22 (testdata/conformance), with --conformance
#   bench/   supergateway, the peer bridge (bench/package.json), with --bench
# Re-runs are quick: each part is reinstalled only when its pin file changed.
#
#   testdata/install-servers.sh [--conformance] [--bench]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cache="${KAOS_ADAPTER_TEST_CACHE:-$HOME/.cache/kaos-adapter-test}"
python="${PYTHON:-python3}"
want_conformance=0
want_bench=0
for a in "$@"; do
  case "$a" in
    --conformance) want_conformance=1 ;;
    --bench) want_bench=1 ;;
    *) echo "install-servers.sh: unknown argument '$a' (use --conformance and/or --bench)" >&2; exit 2 ;;
  esac
done

mkdir -p "$cache"

# npm_install SRC_DIR DEST_DIR: `npm ci` from the committed lockfile, skipped when unchanged.
npm_install() {
  local src="$1" dest="$2" stamp want
  stamp="$dest/.pins.sha256"
  want="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] && [ -d "$dest/node_modules" ]; then
    return 0
  fi
  echo "install-servers.sh: npm ci in $dest" >&2
  mkdir -p "$dest"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  # node@22's own install script only links the binary it ships, so scripts stay enabled.
  (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" > "$stamp"
}

npm_install "$here/npm" "$cache/npm"

venv="$cache/venv"
stamp="$venv/.pins.sha256"
want="$(sha256sum < "$here/requirements-fetch.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] || [ ! -x "$venv/bin/mcp-server-fetch" ]; then
  echo "install-servers.sh: pip install mcp-server-fetch into $venv" >&2
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$here/requirements-fetch.txt"
  echo "$want" > "$stamp"
fi

if [ "$want_conformance" = 1 ]; then npm_install "$here/conformance" "$cache/conformance"; fi
if [ "$want_bench" = 1 ]; then npm_install "$root/bench" "$cache/bench"; fi

echo "install-servers.sh: servers ready in $cache" >&2
