#!/usr/bin/env bash
# The project's test command: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
results="$(mktemp -d)"
set +e
dotnet test PoseTrack.sln -c Release --logger "console;verbosity=normal" --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@"
rc=$?
set -e
# One plain closing line with the counts, read from the test results file.
if counters=$(grep -ho '<Counters [^>]*' "$results"/*.trx 2>/dev/null | head -1) && [ -n "$counters" ]; then
  passed=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
  failed=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")
  echo "tests: $passed passed, $failed failed"
fi
rm -rf "$results"
exit $rc
