#!/usr/bin/env bash
# The project's test command: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet test PoseTrack.sln -c Release --logger "console;verbosity=normal" "$@"
