# Sourced by test.sh and conformance.sh: make (or reuse) the venv with the
# pinned runtime and test requirements, and set RAWPYTHON_PYTHON to its python.
#
#   KAOS_VENV   venv directory (default: <repo>/.venv-rawpython)
#   PYTHON      interpreter used to create the venv (default: python3)
rawpython_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rawpython_venv="${KAOS_VENV:-$(cd "$rawpython_here/../.." && pwd)/.venv-rawpython}"

if [ ! -x "$rawpython_venv/bin/python" ]; then
  echo "rawpython: creating venv $rawpython_venv" >&2
  "${PYTHON:-python3}" -m venv "$rawpython_venv"
fi

# Reinstall only when the requirement files changed since the last install.
rawpython_stamp="$rawpython_venv/.rawpython-requirements.sha256"
rawpython_want="$(cat "$rawpython_here/requirements.txt" "$rawpython_here/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$rawpython_stamp" 2>/dev/null || true)" != "$rawpython_want" ]; then
  echo "rawpython: installing requirements into $rawpython_venv" >&2
  "$rawpython_venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
    --require-hashes -r "$rawpython_here/requirements.txt" -r "$rawpython_here/requirements-dev.txt"
  echo "$rawpython_want" > "$rawpython_stamp"
fi
RAWPYTHON_PYTHON="$rawpython_venv/bin/python"
