#!/usr/bin/env bash
# Run the MCP conformance suite's server scenarios against the bundled gateway
# (dist/gateway/gateway.mjs, from `npm run build`) on Node 22, the image's Node,
# and print one line per scenario. The gateway fronts an HTTP service and an
# upstream MCP server (conformance/fixtures.mjs, which also writes its
# configuration). Exits non-zero if a scenario that applies to a stateless
# gateway fails; the ones that cannot apply are listed with the reason (here
# and in README.md). The last line is `conformance: N passed, M failed, K skipped`.
#
# Node 22 (which the suite needs) and the suite come from npm, pinned, into a
# cache directory; the fixtures use the repository's node_modules (npm ci).
#
# With --url URL it runs the suite against a gateway that already serves there (the on-cluster
# test, test/commands/gateway.it.ts, through a port-forward) and gives the same verdict.
#
#   KAOS_CONFORMANCE_CACHE  cache directory (default: ~/.cache/kaos-conformance)
#   OUT                     keep the logs and results here (default: a temp dir)
set -euo pipefail

url=""
case "${1:-}" in
  --url) url="${2:?--url needs the MCP endpoint, e.g. http://127.0.0.1:8000/mcp}" ;;
  --url=*) url="${1#--url=}" ;;
  "") ;;
  *) echo "conformance.sh: unknown argument $1 (use --url URL, or nothing to start the gateway here)" >&2; exit 2 ;;
esac

NODE_VERSION=22.23.3          # npm package `node`: the Node.js 22 binary
CONFORMANCE_VERSION=0.1.16    # npm @modelcontextprotocol/conformance, latest release

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bundle="$root/dist/gateway/gateway.mjs"
[ -n "$url" ] || [ -f "$bundle" ] || { echo "conformance.sh: $bundle is missing: run npm run build first" >&2; exit 1; }
[ -n "$url" ] || [ -d "$root/node_modules/@modelcontextprotocol/sdk" ] || { echo "conformance.sh: node_modules is missing: run npm ci first" >&2; exit 1; }

cache="${KAOS_CONFORMANCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kaos-conformance}"
npm_install() { # dir packages...: install once, pinned, into dir
  local dir="$1"
  shift
  if [ "$(cat "$dir/.installed" 2>/dev/null || true)" != "$*" ]; then
    echo "conformance.sh: npm install $* into $dir" >&2
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"name":"kaos-conformance","private":true}' >"$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --save-exact "$@" >&2
    echo "$*" >"$dir/.installed"
  fi
}
npm_install "$cache/node-$NODE_VERSION" "node@$NODE_VERSION"
npm_install "$cache/conformance-$CONFORMANCE_VERSION" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION"
node="$cache/node-$NODE_VERSION/node_modules/.bin/node"
suite="$cache/conformance-$CONFORMANCE_VERSION/node_modules/@modelcontextprotocol/conformance/dist/index.js"
"$node" --version | grep -q '^v22\.' || { echo "conformance.sh: $node is not Node 22" >&2; exit 1; }

work="${OUT:-$(mktemp -d)}"
mkdir -p "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${OUT:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

if [ -n "$url" ]; then
  echo "== conformance $CONFORMANCE_VERSION against $url on Node $("$node" --version)" >&2
  "$node" "$suite" server --suite all --url "$url" -o "$work/results" >"$work/suite.log" 2>&1 || true
  "$node" "$here/conformance/verdict.mjs" "$work/results"
  exit
fi

# The fixtures write the configuration, then print "ready".
mkfifo "$work/fixtures.out"
"$node" "$here/conformance/fixtures.mjs" "$work/config.json" >"$work/fixtures.out" 2>"$work/fixtures.log" &
pids+=($!)
read -r -t 30 line <"$work/fixtures.out" || true
[ "${line:-}" = ready ] || { echo "conformance.sh: the fixtures did not start:" >&2; cat "$work/fixtures.log" >&2; exit 1; }

port="$("$node" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
KAOS_GATEWAY_CONFIG="$work/config.json" PORT="$port" HOST=127.0.0.1 "$node" "$bundle" >"$work/gateway.log" 2>&1 &
gateway=$!
pids+=($gateway)
for _ in $(seq 1 300); do
  if "$node" -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$port/readyz"; then break; fi
  kill -0 "$gateway" 2>/dev/null || { echo "conformance.sh: the gateway exited:" >&2; cat "$work/gateway.log" >&2; exit 1; }
  sleep 0.1
done

echo "== conformance $CONFORMANCE_VERSION against the gateway on Node $("$node" --version)" >&2
# The suite exits non-zero when any scenario fails, including those that cannot
# apply here; the verdict comes from the results.
"$node" "$suite" server --suite all --url "http://127.0.0.1:$port/mcp" -o "$work/results" >"$work/suite.log" 2>&1 || true

# The gateway must still stop cleanly after all that.
kill -TERM "$gateway"
status=0
wait "$gateway" || status=$?
[ "$status" = 0 ] || { echo "conformance.sh: the gateway exited $status on SIGTERM:" >&2; tail -20 "$work/gateway.log" >&2; exit 1; }

"$node" "$here/conformance/verdict.mjs" "$work/results"
