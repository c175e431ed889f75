#!/usr/bin/env bash
# Builds axon (scripts/setup.sh) and runs the main program; arguments are passed to it.
# The build's messages go to stderr so that stdout is the program's alone.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo/scripts/setup.sh" >&2

program="$repo/build/apps/examples/autograd_basics"
if [[ ! -x $program ]]; then
  echo "run.sh: error: $program was not built" >&2
  exit 1
fi
exec "$program" "$@"
