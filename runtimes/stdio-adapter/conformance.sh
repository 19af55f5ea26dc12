#!/usr/bin/env bash
# Runs the MCP conformance suite's server scenarios (@modelcontextprotocol/conformance, pinned in
# testdata/conformance) against server-everything three ways:
#   native       server-everything in its own streamable HTTP mode
#   per-session  the adapter wrapping server-everything over stdio, a child per session
#   shared       the adapter wrapping server-everything over stdio, one child for all
# and prints the per-scenario results side by side. Exits non-zero when the adapter (in either
# mode) passes fewer scenarios than the native server. A scenario passes when none of its
# checks failed (warnings allowed).
#
#   runtimes/stdio-adapter/conformance.sh            (results also land in $OUT, default a temp dir)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${KAOS_ADAPTER_TEST_CACHE:-$HOME/.cache/kaos-adapter-test}"
bash "$here/testdata/install-servers.sh" --conformance

node22="$cache/conformance/node_modules/node/bin/node"
conformance="$cache/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js"
everything="$cache/npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"

(cd "$here" && CGO_ENABLED=0 go build -trimpath -o "$out/kaos-stdio-adapter" .)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { "$node22" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

wait_http() { # URL: wait until something answers
  for _ in $(seq 1 200); do
    if "$node22" -e 'fetch(process.argv[1]).then(()=>process.exit(0),()=>process.exit(1))' "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "conformance.sh: nothing answered at $1" >&2
  return 1
}

run_suite() { # NAME URL
  echo "conformance.sh: running the server scenarios against $1 ($2)" >&2
  # The suite exits non-zero when any scenario fails; the comparison below is what counts.
  "$node22" "$conformance" server --url "$2" -o "$out/$1" > "$out/$1.log" 2>&1 || true
}

port=$(free_port)
PORT=$port "$node22" "$everything" streamableHttp > "$out/native-server.log" 2>&1 &
pids+=($!)
wait_http "http://localhost:$port/mcp"
run_suite native "http://localhost:$port/mcp"
kill "${pids[-1]}"

for mode in per-session shared; do
  port=$(free_port)
  "$out/kaos-stdio-adapter" --host 127.0.0.1 --port "$port" --mode "$mode" -- "$node22" "$everything" stdio > "$out/adapter-$mode.log" 2>&1 &
  pids+=($!)
  wait_http "http://localhost:$port/readyz"
  for _ in $(seq 1 200); do
    if "$node22" -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://localhost:$port/readyz"; then break; fi
    sleep 0.1
  done
  run_suite "$mode" "http://localhost:$port/mcp"
  kill "${pids[-1]}"
done

"$node22" - "$out" <<'EOF'
const fs = require("fs"), path = require("path");
const out = process.argv[2];
const runs = ["native", "per-session", "shared"];
const results = {};
for (const run of runs) {
  results[run] = {};
  for (const dir of fs.readdirSync(path.join(out, run))) {
    const m = dir.match(/^server-(.+)-\d{4}-\d\d-\d\dT/);
    if (!m) continue;
    const checks = JSON.parse(fs.readFileSync(path.join(out, run, dir, "checks.json"), "utf8"));
    results[run][m[1]] = checks.some((c) => c.status === "FAILURE") ? "fail" : "pass";
  }
}
const scenarios = [...new Set(runs.flatMap((r) => Object.keys(results[r])))].sort();
const w = Math.max(...scenarios.map((s) => s.length), 8);
console.log(`| ${"scenario".padEnd(w)} | native | adapter per-session | adapter shared |`);
console.log(`| ${"-".repeat(w)} | ------ | ------------------- | -------------- |`);
const count = Object.fromEntries(runs.map((r) => [r, 0]));
for (const s of scenarios) {
  const cells = runs.map((r) => results[r][s] ?? "-");
  runs.forEach((r, i) => { if (cells[i] === "pass") count[r]++; });
  console.log(`| ${s.padEnd(w)} | ${cells[0].padEnd(6)} | ${cells[1].padEnd(19)} | ${cells[2].padEnd(14)} |`);
}
console.log(`| ${"passed".padEnd(w)} | ${String(count.native).padEnd(6)} | ${String(count["per-session"]).padEnd(19)} | ${String(count.shared).padEnd(14)} |`);
const worse = runs.slice(1).filter((r) => count[r] < count.native);
if (worse.length) {
  console.error(`conformance.sh: the adapter (${worse.join(", ")}) passes fewer scenarios than the native server`);
  process.exit(1);
}
console.error(`conformance.sh: the adapter passes at least as many scenarios as the native server (logs and checks in ${out})`);
EOF
