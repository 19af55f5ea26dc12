# shellcheck shell=bash
# Shared settings for the kaos test bed scripts. Sourced, not run.
TB_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$TB_SRC/../.." && pwd)"
TB_DIR="${KAOS_TESTBED_DIR:-$REPO_ROOT/.testbed}"
# The cache a test bed was started with is recorded in its state dir, so its tools are found
# whatever HOME a caller has (kaos's CLI tests run the kind stand-in with a throwaway HOME).
if [[ -n "${KAOS_TESTBED_CACHE:-}" ]]; then TB_CACHE="$KAOS_TESTBED_CACHE"
elif [[ -s "$TB_DIR/cache-dir" ]]; then TB_CACHE="$(cat "$TB_DIR/cache-dir")"
else TB_CACHE="$HOME/.cache/kaos-testbed"; fi
K8S_VERSION=v1.36.1
export PATH="$PATH:/usr/local/go/bin"

tb_log() { printf '[testbed] %s\n' "$*" >&2; }
tb_die() { printf '[testbed] ERROR: %s\n' "$*" >&2; exit 1; }
tb_now() { date +%s.%N; }
tb_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}'; }

# Key of the upstream binaries: go.mod/go.sum, cmd/etcd and the Go version.
tb_build_key() {
  (cd "$TB_SRC" && { cat go.mod go.sum cmd/etcd/*.go; go version; } | sha256sum | cut -c1-16)
}
# Key of the test bed's own tools (the pod runner, the kind stand-in), rebuilt alone when only
# their sources change.
tb_runner_key() {
  (cd "$TB_SRC" && { find cmd/pod-runner cmd/kind internal -type f -name '*.go' | LC_ALL=C sort | xargs cat; cat go.mod go.sum; go version; } | sha256sum | cut -c1-16)
}
tb_bin_dir() { echo "$TB_CACHE/bin/$(tb_build_key)"; }
# The tools live in their own dir per key: test beds started from different checkouts (other
# ports, other state dirs) share the Kubernetes binaries but each keeps its own runner.
tb_tools_dir() { echo "$TB_CACHE/tools/$(tb_runner_key)"; }
# The kind cluster name the test bed's nodes claim (spec.providerID kind://docker/<name>/<node>).
KIND_NAME="${KAOS_TESTBED_KIND_NAME:-kaos-testbed}"

# Ports (override with env; all on 127.0.0.1).
APISERVER_PORT="${KAOS_TESTBED_APISERVER_PORT:-6443}"
ETCD_PORT="${KAOS_TESTBED_ETCD_PORT:-23790}"
ETCD_PEER_PORT="${KAOS_TESTBED_ETCD_PEER_PORT:-23800}"
KCM_PORT="${KAOS_TESTBED_KCM_PORT:-10257}"
SCHED_PORT="${KAOS_TESTBED_SCHEDULER_PORT:-10259}"
KWOK_PORT="${KAOS_TESTBED_KWOK_PORT:-10250}"
NODES="${KAOS_TESTBED_NODES:-1}"
SERVICE_CIDR="${KAOS_TESTBED_SERVICE_CIDR:-10.96.0.0/16}"
SERVICE_IP="${KAOS_TESTBED_SERVICE_IP:-10.96.0.1}"
POD_CIDR="${KAOS_TESTBED_POD_CIDR:-10.244.0.1/16}"
# Processes in start order; down stops them in reverse.
TB_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok pod-runner)

tb_pidfile() { echo "$TB_DIR/run/$1.pid"; }
# tb_alive NAME: the process recorded for NAME still runs (and is the same program).
tb_alive() {
  local f pid; f="$(tb_pidfile "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$1" || return 1
}
# tb_start NAME CMD...: start CMD in its own session, log to logs/NAME.log, record PID.
tb_start() {
  local name="$1"; shift
  if tb_alive "$name"; then tb_log "$name already running (pid $(cat "$(tb_pidfile "$name")"))"; return 0; fi
  mkdir -p "$TB_DIR/run" "$TB_DIR/logs"
  setsid nohup "$@" >>"$TB_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$(tb_pidfile "$name")"
}
# tb_wait SECONDS WHAT CMD...: retry CMD until it succeeds.
tb_wait() {
  local secs="$1" what="$2"; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < end )) || { tb_log "timed out waiting for $what"; return 1; }
    sleep 0.2
  done
}
tb_kubectl() { "$BIN/kubectl" --kubeconfig "$TB_DIR/kubeconfig" "$@"; }
