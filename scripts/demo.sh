#!/usr/bin/env bash
# The main job on the shipped models and sample video: writes out.mp4 and out.jsonl in the current directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
dotnet run --project "$root/src/PoseTrack.Cli" -c Release -- --input "$root/samples/data/vtest_10s.mp4" "$@"
