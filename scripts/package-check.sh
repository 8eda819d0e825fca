#!/usr/bin/env bash
# Packs the library and the tool, installs the tool from the local feed into a temporary tool path and runs it on
# the sample video, then builds a fresh console project against the packed library with the README's snippet.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rm -rf nupkg
# Same version, new bits: drop earlier copies of our own packages from the NuGet caches so the checks below use
# what was just packed.
gp="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
rm -rf "$gp/posetrack" "$gp/posetrack.tool"
dotnet nuget locals http-cache --clear >/dev/null
dotnet pack PoseTrack.sln -c Release -o nupkg -v quiet
ls -la nupkg

echo "package-check: installing the tool from ./nupkg"
dotnet tool install --tool-path "$work/tools" --add-source "$root/nupkg" PoseTrack.Tool
"$work/tools/posetrack" --version
(cd "$work" && "$work/tools/posetrack" --input "$root/samples/data/vtest_10s.mp4" --max-frames 20 --json run.jsonl --output run.mp4 -q)
test "$(wc -l < "$work/run.jsonl")" -eq 21 || { echo "package-check: expected 21 JSON lines" >&2; exit 1; }
# A missing models folder is a clear error with exit code 2, not a crash.
set +e
(cd "$work" && "$work/tools/posetrack" --input "$root/samples/data/vtest_10s.mp4" --models "$work/no-models" --json x.jsonl -q 2> err.txt)
rc=$?
set -e
grep -q "models folder not found" "$work/err.txt" && [ "$rc" -eq 2 ] || { echo "package-check: missing models folder gave rc=$rc: $(cat "$work/err.txt")" >&2; exit 1; }

echo "package-check: a new console project using the PoseTrack package"
dotnet new console -o "$work/app" --framework net10.0 >/dev/null
cp samples/LibraryUsage/Program.cs "$work/app/Program.cs"
dotnet add "$work/app/app.csproj" package PoseTrack --source "$root/nupkg" >/dev/null
out="$(dotnet run --project "$work/app/app.csproj" -- "$root/samples/data/people.jpg")"
echo "$out"
echo "$out" | grep -q "person at" || { echo "package-check: the library sample found no person" >&2; exit 1; }
echo "package-check: ok"
