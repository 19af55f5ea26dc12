#!/usr/bin/env bash
# Run the rawpython runtime's tests: make (or reuse) a venv, install the pinned
# runtime and test requirements, run pytest. CI calls this.
#
#   KAOS_VENV   venv directory (default: <repo>/.venv-rawpython)
#   PYTHON      interpreter used to create the venv (default: python3)
# Extra arguments go to pytest, e.g. `runtimes/rawpython/test.sh -k healthz -x`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=venv.sh
. "$here/venv.sh"

cd "$here"
exec "$RAWPYTHON_PYTHON" -m pytest -p no:cacheprovider "$@" tests
