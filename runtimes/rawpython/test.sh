#!/usr/bin/env bash
# Run the rawpython runtime's tests: make (or reuse) a venv, install the pinned
# runtime and test requirements, run pytest. CI calls this.
#
#   KAOS_VENV   venv directory (default: <repo>/.venv-rawpython)
#   PYTHON      interpreter used to create the venv (default: python3)
# Extra arguments go to pytest, e.g. `runtimes/rawpython/test.sh -k healthz -x`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${KAOS_VENV:-$repo/.venv-rawpython}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "rawpython/test.sh: creating venv $venv" >&2
  "$python" -m venv "$venv"
fi

# Reinstall only when the requirement files changed since the last install.
stamp="$venv/.rawpython-requirements.sha256"
want="$(cat "$here/requirements.txt" "$here/requirements-dev.txt" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  echo "rawpython/test.sh: installing requirements into $venv" >&2
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
    --require-hashes -r "$here/requirements.txt" -r "$here/requirements-dev.txt"
  echo "$want" > "$stamp"
fi

cd "$here"
exec "$venv/bin/python" -m pytest -p no:cacheprovider "$@" tests
