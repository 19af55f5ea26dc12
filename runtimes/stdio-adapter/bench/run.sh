#!/usr/bin/env bash
# Prints the stdio adapter's benchmark figures (see bench/main.go): installs the pinned
# server-everything and the peer (supergateway, bench/package.json), builds the adapter, runs.
# Extra arguments go to the benchmark, e.g. bench/run.sh -calls 2000.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cache="${KAOS_ADAPTER_TEST_CACHE:-$HOME/.cache/kaos-adapter-test}"
bash "$root/testdata/install-servers.sh" --bench

bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
(cd "$root" && CGO_ENABLED=0 go build -trimpath -o "$bin/kaos-stdio-adapter" . && go build -o "$bin/bench" ./bench)
echo "machine: $(nproc) cores, $(uname -sr), node $(node --version), adapter $("$bin/kaos-stdio-adapter" --version | cut -d' ' -f2)"
"$bin/bench" -cache "$cache" -adapter "$bin/kaos-stdio-adapter" "$@"
