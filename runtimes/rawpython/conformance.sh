#!/usr/bin/env bash
# Run the MCP conformance suite's server scenarios against rawpython and print
# one line per scenario and pass. Exits non-zero if a scenario that applies to
# a tools-only server fails (the ones that cannot apply are listed, with the
# reason, in README.md and in the table printed here).
#
# Passes, each against a fresh rawpython on a free port:
#   stateless   the default configuration; conformance/tools.py
#   stateful    MCP_STATELESS=0; tools.py + conformance/backchannel.py (tools
#               that send requests back to the client, which needs a session),
#               plus the session-lifecycle scenario of the 0.2 pre-release
#   2026-07-28  the 2026-07-28 scenarios (only in the 0.2 pre-releases of the
#               suite); tools.py + conformance/modern.py
#
# Node 22 (which the suite needs) and the suite come from npm, pinned, into a
# cache directory; rawpython runs from the venv test.sh uses.
#
#   KAOS_CONFORMANCE_CACHE  cache directory (default: ~/.cache/kaos-conformance)
#   KAOS_VENV, PYTHON       as for test.sh
set -euo pipefail

NODE_VERSION=22.23.3                 # npm package `node`: the Node.js 22 binary
CONFORMANCE_VERSION=0.1.16           # npm @modelcontextprotocol/conformance, latest release
CONFORMANCE_NEXT_VERSION=0.2.0-alpha.12  # the first with 2026-07-28 scenarios

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=venv.sh
. "$here/venv.sh"

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
npm_install "$cache/conformance-$CONFORMANCE_NEXT_VERSION" "@modelcontextprotocol/conformance@$CONFORMANCE_NEXT_VERSION"
node="$cache/node-$NODE_VERSION/node_modules/.bin/node"
suite() { # version: the suite's entry point
  echo "$cache/conformance-$1/node_modules/@modelcontextprotocol/conformance/dist/index.js"
}
"$node" --version | grep -q '^v22\.' || { echo "conformance.sh: $node is not Node 22" >&2; exit 1; }

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  "$RAWPYTHON_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() { # name env-assignments... -- tool files...: start rawpython, wait for /readyz
  local name="$1"
  shift
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local code=""
  for file in "$@"; do code+="$(cat "$here/conformance/$file")"$'\n\n'; done
  port="$(free_port)"
  # Only what the pass sets configures the server, not the caller's env.
  env -u MCP_ALLOWED_ORIGINS -u MCP_ALLOWED_HOSTS -u MCP_STATELESS -u MCP_SERVER_NAME -u SHUTDOWN_TIMEOUT \
    "${envs[@]}" MCP_TOOLS_STRING="$code" HOST=127.0.0.1 PORT="$port" LOG_LEVEL=WARNING \
    "$RAWPYTHON_PYTHON" "$here/server.py" >"$work/$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    if "$RAWPYTHON_PYTHON" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "http://127.0.0.1:$port/readyz" 2>/dev/null; then
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "conformance.sh: rawpython ($name) did not get ready:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

stop_server() { # name: SIGTERM, expect exit 0
  local name="$1" status=0
  kill -TERM "$server_pid"
  wait "$server_pid" || status=$?
  server_pid=""
  if [ "$status" != 0 ]; then
    echo "conformance.sh: rawpython ($name) exited $status on SIGTERM:" >&2
    cat "$work/$name.log" >&2
    exit 1
  fi
}

run_suite() { # name version args...: run the suite, results under $work/results/name
  local name="$1" version="$2"
  shift 2
  mkdir -p "$work/results/$name"
  # The suite exits non-zero when any scenario fails, including those that
  # cannot apply here; the verdict comes from the results below.
  "$node" "$(suite "$version")" server --url "http://127.0.0.1:$port/mcp" -o "$work/results/$name" "$@" \
    >"$work/$name.suite.log" 2>&1 || true
}

echo "== stateless pass (conformance $CONFORMANCE_VERSION)" >&2
start_server stateless -- tools.py
run_suite stateless "$CONFORMANCE_VERSION"
stop_server stateless

echo "== stateful pass (conformance $CONFORMANCE_VERSION)" >&2
start_server stateful MCP_STATELESS=0 -- tools.py backchannel.py
run_suite stateful "$CONFORMANCE_VERSION"
# Session lifecycle (404 for an ended session, 400 without one) is only in the 0.2 pre-releases.
run_suite stateful "$CONFORMANCE_NEXT_VERSION" --scenario server-session-lifecycle
stop_server stateful

echo "== 2026-07-28 pass (conformance $CONFORMANCE_NEXT_VERSION)" >&2
start_server modern -- tools.py modern.py
run_suite modern "$CONFORMANCE_NEXT_VERSION" --spec-version 2026-07-28
# Not in that release's default (active) suite yet, but they apply here.
for scenario in server-stateless http-header-validation http-custom-header-server-validation caching \
  sep-2164-resource-not-found; do
  run_suite modern "$CONFORMANCE_NEXT_VERSION" --spec-version 2026-07-28 --scenario "$scenario"
done
stop_server modern

exec "$RAWPYTHON_PYTHON" - "$work/results" <<'PY'
"""Per-scenario verdicts from the suite's checks.json files."""
import json
import re
import sys
from pathlib import Path

TOOLS_ONLY = "rawpython serves tools only"
NEEDS_SESSION = "a tool's request to the client needs a session: see the stateful pass"
NOT_APPLICABLE = {
    "completion-complete": "completion is for prompt and resource-template arguments; " + TOOLS_ONLY,
    "resources-read-text": TOOLS_ONLY + " (no resources)",
    "resources-read-binary": TOOLS_ONLY + " (no resources)",
    "resources-templates-read": TOOLS_ONLY + " (no resource templates)",
    "resources-subscribe": TOOLS_ONLY + " (no resources)",
    "resources-unsubscribe": TOOLS_ONLY + " (no resources)",
    "prompts-get-simple": TOOLS_ONLY + " (no prompts)",
    "prompts-get-with-args": TOOLS_ONLY + " (no prompts)",
    "prompts-get-embedded-resource": TOOLS_ONLY + " (no prompts)",
    "prompts-get-with-image": TOOLS_ONLY + " (no prompts)",
}
PER_PASS = {
    "stateless": {
        "tools-call-sampling": NEEDS_SESSION,
        "tools-call-elicitation": NEEDS_SESSION,
        "elicitation-sep1034-defaults": NEEDS_SESSION,
        "elicitation-sep1330-enums": NEEDS_SESSION,
        "server-sse-multiple-streams": "needs a session: see the stateful pass",
    },
}

results = Path(sys.argv[1])
failed = []
rows = []
# Result directories are named server-<scenario>-<ISO timestamp>.
RESULT_DIR = re.compile(r"server-(?P<scenario>.+)-(?P<time>\d{4}-\d{2}-\d{2}T[\d-]+Z)$")
for pass_dir in sorted(results.iterdir(), key=lambda p: ["stateless", "stateful", "modern"].index(p.name)):
    seen = {}
    runs = [(m["time"], m["scenario"], d) for d in pass_dir.iterdir() if (m := RESULT_DIR.match(d.name))]
    for _, scenario, run_dir in sorted(runs):
        checks = json.loads((run_dir / "checks.json").read_text())
        seen[scenario] = ([c.get("status") for c in checks], checks)
    for scenario, (statuses, checks) in seen.items():
        ok = statuses.count("SUCCESS")
        bad = statuses.count("FAILURE")
        warn = statuses.count("WARNING")
        result = f"{ok} passed, {bad} failed" + (f", {warn} warnings" if warn else "")
        reason = PER_PASS.get(pass_dir.name, {}).get(scenario) or NOT_APPLICABLE.get(scenario)
        if reason:
            verdict = f"n/a: {reason}"
        elif bad or not ok:
            verdict = "FAIL"
            failed.append(f"{pass_dir.name}/{scenario}")
            for c in checks:
                if c.get("status") == "FAILURE":
                    verdict += f"\n      {c.get('id')}: {c.get('errorMessage')}"
        else:
            verdict = "ok"
        rows.append((pass_dir.name if pass_dir.name != "modern" else "2026-07-28", scenario, result, verdict))

width = max(len(r[1]) for r in rows)
for name, scenario, result, verdict in rows:
    print(f"{name:<11} {scenario:<{width}}  {result:<32} {verdict}")
applicable = [r for r in rows if not r[3].startswith("n/a")]
print("(skipped: scenarios that cannot apply to a tools-only server, for the reason shown)")
print(f"conformance: {len(applicable) - len(failed)} passed, {len(failed)} failed, {len(rows) - len(applicable)} skipped")
sys.exit(1 if failed or not applicable else 0)
PY
