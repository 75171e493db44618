#!/usr/bin/env bash
# Runs the Python client library's tests (clients/python/tests) against real taskwire servers
# that the tests start from dist/ (build it first: npm run build). Exits non-zero on failure.
# PYTHON=/path/to/python overrides the interpreter; otherwise python3, then python3.N, 3.9+.
set -euo pipefail
cd "$(dirname "$0")/.."

supported() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; }

py="${PYTHON:-}"
if [ -z "$py" ]; then
  for candidate in python3 python3.13 python3.12 python3.11 python3.10 python3.9; do
    if command -v "$candidate" >/dev/null && supported "$candidate"; then py="$candidate"; break; fi
  done
fi
if [ -z "$py" ] || ! supported "$py"; then
  echo "run-python-tests: no Python 3.9+ found (set PYTHON=...)" >&2
  exit 1
fi
if [ ! -f dist/cli/main.js ]; then
  echo "run-python-tests: dist/cli/main.js is missing; run 'npm run build' first" >&2
  exit 1
fi

echo "== python tests with $("$py" --version 2>&1) ($(command -v "$py"))"
export PYTHONDONTWRITEBYTECODE=1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# A hang fails the run instead of blocking CI (the suite takes well under a minute).
set +e
timeout --kill-after=10 300 "$py" -m unittest discover -s clients/python/tests -t clients/python -v 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# unittest's summary ("Ran N tests", "FAILED (failures=F, errors=E, skipped=S)") as one plain line.
last_number() { { grep -Eo "$1" "$log" || true; } | tail -n 1 | grep -Eo '[0-9]+' || echo 0; }
ran=$(last_number '^Ran [0-9]+ test')
failed=$(( $(last_number 'failures=[0-9]+') + $(last_number 'errors=[0-9]+') ))
skipped=$(last_number 'skipped=[0-9]+')
echo "python: $(( ran - failed - skipped )) passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ]; then exit "$status"; fi
if [ "$ran" -eq 0 ]; then echo "run-python-tests: no test ran" >&2; exit 1; fi
