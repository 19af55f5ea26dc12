# shellcheck shell=bash
# Shared settings for the kaos Docker-API test bed scripts (sourced, not run).
# Everything podman writes goes under $PODMAN_DIR, so the system's podman
# configuration and storage (/etc/containers, /var/lib/containers) are untouched.

TESTBED_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$TESTBED_SCRIPT_DIR/../.." && pwd)"

TESTBED_DIR="${KAOS_TESTBED_DIR:-$REPO_ROOT/.testbed}"
PODMAN_DIR="$TESTBED_DIR/podman"
CACHE_DIR="${KAOS_TESTBED_CACHE:-$HOME/.cache/kaos-testbed}"

SOCK="$PODMAN_DIR/podman.sock"
PIDFILE="$PODMAN_DIR/service.pid"
SERVICE_LOG="$PODMAN_DIR/service.log"
ENV_FILE="$TESTBED_DIR/docker.env"

# Local registry (Debian's docker-registry, distribution 2.8) for push tests.
REGISTRY_DIR="$TESTBED_DIR/registry"
REGISTRY_PORT="${KAOS_TESTBED_REGISTRY_PORT:-5001}"
REGISTRY_ADDR="localhost:$REGISTRY_PORT"
REGISTRY_PIDFILE="$REGISTRY_DIR/registry.pid"

BUSYBOX_IMAGE="localhost/kaos-test/busybox:1"
PYTHON_IMAGE="localhost/kaos-test/python:3.11-slim"
# Pinned MCP Python SDK. 1.30.0 is the last 1.x: mcp 2.x renamed FastMCP
# (mcp.server.fastmcp -> mcp.server.mcpserver.MCPServer), so stay on 1.x.
MCP_VERSION="${KAOS_TESTBED_MCP_VERSION:-1.30.0}"

export CONTAINERS_CONF="$PODMAN_DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$PODMAN_DIR/registries.conf"

log() { echo "[testbed] $*" >&2; }
die() { echo "[testbed] ERROR: $*" >&2; exit 1; }

# podman with the test bed's config (env vars above) and storage.
pm() { podman "$@"; }

# Writes the config files (idempotent, always rewritten so changes here apply).
write_podman_config() {
  mkdir -p "$PODMAN_DIR"/{storage,run,tmp,networks,volumes}
  local driver="${KAOS_TESTBED_STORAGE_DRIVER:-}"
  if [ -z "$driver" ]; then
    if [ -f "$PODMAN_DIR/storage.driver" ]; then
      driver="$(cat "$PODMAN_DIR/storage.driver")"
    else
      driver="overlay"
    fi
  fi
  cat >"$CONTAINERS_STORAGE_CONF" <<CONF
[storage]
driver = "$driver"
graphroot = "$PODMAN_DIR/storage"
runroot = "$PODMAN_DIR/run"
CONF
  cat >"$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
# no systemd / journald in this sandbox
log_driver = "k8s-file"

[network]
network_backend = "netavark"
network_config_dir = "$PODMAN_DIR/networks"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PODMAN_DIR/events.log"
tmp_dir = "$PODMAN_DIR/tmp"
volume_path = "$PODMAN_DIR/volumes"
# nothing can be pulled here: never try
pull_policy = "never"
CONF
  cat >"$CONTAINERS_REGISTRIES_CONF" <<CONF
# No registry is reachable from the test bed; images are made locally
# (localhost/kaos-test/...). Short names are not resolved anywhere.
unqualified-search-registries = []
short-name-mode = "permissive"

# the test bed's local registry speaks plain HTTP
[[registry]]
location = "$REGISTRY_ADDR"
insecure = true
CONF
}

# PID of a live process recorded in $1 whose command line contains $2.
live_pid() {
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2" && echo "$pid"
}

# Stop the process recorded in pid file $1 (if its command line contains $2).
stop_pid() {
  local pid
  if pid="$(live_pid "$1" "$2")"; then
    log "stopping $2 (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  else
    log "$2 not running"
  fi
  rm -f "$1"
}
