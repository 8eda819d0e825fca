#!/usr/bin/env bash
# Installs headless Chromium for the report's browser test (tests/PoseTrack.Tests/Reporting: ReportCliTests).
# That test FAILS without a browser, so CI calls this before scripts/test.sh:  bash scripts/ci-browser.sh
# Debian/Ubuntu package: chromium (Ubuntu's is a snap shim; there set POSETRACK_CHROMIUM to a real binary).
# Runs apt-get directly as root, through sudo otherwise; without either it prints the exact command and fails.
set -euo pipefail

for b in "${POSETRACK_CHROMIUM:-}" chromium chromium-browser google-chrome google-chrome-stable; do
  if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then
    echo "ci-browser: using $(command -v "$b")" >&2
    exit 0
  fi
done

if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
  echo "The report's browser test needs Chromium. Install it with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium fonts-liberation" >&2
  exit 1
fi
echo "ci-browser: installing chromium ..." >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
command -v chromium >/dev/null
echo "ci-browser: done ($(chromium --version 2>/dev/null | head -1))" >&2
