#!/usr/bin/env bash
# Packs the library and the tool, installs the tool from the local feed into a temporary tool path and runs it on
# the sample video, checks its own models (verify) and a per-user install, then builds a fresh console project against
# the packed library with the README's snippet. Needs python3 (standard library) for a loopback HTTP server.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

rm -rf nupkg nupkg-gpu
# Same version, new bits: drop earlier copies of our own packages from the NuGet caches so the checks below use
# what was just packed.
gp="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
rm -rf "$gp/posetrack" "$gp/posetrack.tool" "$gp/posetrack.gpu" "$gp/posetrack.tool.gpu"
dotnet nuget locals http-cache --clear >/dev/null
dotnet pack PoseTrack.sln -c Release -o nupkg -v quiet
ls -la nupkg
# Neither package carries an evaluation-only model or its manifest.
for pkg in nupkg/PoseTrack.0*.nupkg nupkg/PoseTrack.Tool.0*.nupkg; do
  if python3 -c 'import sys, zipfile; sys.exit(any("simplepose" in n or "models.evaluation" in n for n in zipfile.ZipFile(sys.argv[1]).namelist()))' "$pkg"; then :
  else echo "package-check: $pkg carries an evaluation-only model" >&2; exit 1; fi
done

echo "package-check: installing the tool from ./nupkg"
dotnet tool install --tool-path "$work/tools" --add-source "$root/nupkg" PoseTrack.Tool
"$work/tools/posetrack" --version
# The tool's per-user models folder and caches live in the temporary folder, never in the real home.
export XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache"

echo "package-check: models verify on the installed tool"
"$work/tools/posetrack" models verify || { echo "package-check: the installed tool fails its own models verify" >&2; exit 1; }
(cd "$work" && "$work/tools/posetrack" --input "$root/samples/data/vtest_10s.mp4" --max-frames 20 --json run.jsonl --output run.mp4 -q)
# Header, 20 frames and the closing summary line.
test "$(wc -l < "$work/run.jsonl")" -eq 22 || { echo "package-check: expected 22 JSON lines (header, 20 frames, summary)" >&2; exit 1; }
tail -n 1 "$work/run.jsonl" | grep -q '"type":"summary"' || { echo "package-check: the log has no closing summary line" >&2; exit 1; }
# A missing models folder is a clear error with exit code 2, not a crash.
set +e
(cd "$work" && "$work/tools/posetrack" --input "$root/samples/data/vtest_10s.mp4" --models "$work/no-models" --json x.jsonl -q 2> err.txt)
rc=$?
set -e
grep -q "models folder not found" "$work/err.txt" && [ "$rc" -eq 2 ] || { echo "package-check: missing models folder gave rc=$rc: $(cat "$work/err.txt")" >&2; exit 1; }

echo "package-check: models install from a loopback server lands in \$XDG_DATA_HOME/posetrack/models"
mkdir -p "$work/serve"
cp models/yolox_nano_humanart_416.onnx "$work/serve/model.onnx"
sha="$(sha256sum "$work/serve/model.onnx" | cut -d' ' -f1)"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$work/serve" > "$work/http.txt" 2>&1 &
server=$!
port=""
for _ in $(seq 50); do
  port="$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/http.txt" | head -1)"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "package-check: the loopback HTTP server did not start: $(cat "$work/http.txt")" >&2; exit 1; }
(cd "$work" && "$work/tools/posetrack" models install yolox-tiny-humanart --url "http://127.0.0.1:$port/model.onnx" --sha256 "$sha" -q)
test -f "$XDG_DATA_HOME/posetrack/models/yolox_tiny_humanart_416.onnx" \
  || { echo "package-check: models install did not write $XDG_DATA_HOME/posetrack/models" >&2; exit 1; }
"$work/tools/posetrack" models list | tee "$work/list.txt"
grep -q "^yolox-tiny-humanart	.*	user$" "$work/list.txt" || { echo "package-check: models list does not show the user-installed model" >&2; exit 1; }
"$work/tools/posetrack" models verify -q || { echo "package-check: models verify fails after a user install" >&2; exit 1; }
(cd "$work" && "$work/tools/posetrack" --input "$root/samples/data/vtest_10s.mp4" --max-frames 3 --detector yolox-tiny-humanart --json user.jsonl -q)
test "$(wc -l < "$work/user.jsonl")" -eq 5 || { echo "package-check: --detector yolox-tiny-humanart did not run" >&2; exit 1; }
echo "package-check: user-installed model listed, verified and used by name"

echo "package-check: a new console project using the PoseTrack package"
dotnet new console -o "$work/app" --framework net10.0 >/dev/null
cp samples/LibraryUsage/Program.cs "$work/app/Program.cs"
dotnet add "$work/app/app.csproj" package PoseTrack --source "$root/nupkg" >/dev/null
out="$(dotnet run --project "$work/app/app.csproj" -- "$root/samples/data/people.jpg")"
echo "$out"
echo "$out" | grep -q "person at" || { echo "package-check: the library sample found no person" >&2; exit 1; }
app_models="$(dirname "$(find "$work/app/bin" -name models.json -path '*/models/*' | head -1)")"
! grep -q simplepose "$app_models/models.json" || { echo "package-check: the library's models.json lists an evaluation-only model" >&2; exit 1; }
"$work/tools/posetrack" models verify --models "$app_models" -q || { echo "package-check: the library package's models fail verify" >&2; exit 1; }
echo "package-check: the GPU variant (PoseTrack.Gpu, PoseTrack.Tool.Gpu) packs, installs and runs here on CPU"
gpu_start=$SECONDS
# Its own obj/gpu and bin/gpu folders (Directory.Build.props): the CPU packages above are untouched.
dotnet pack src/PoseTrack/PoseTrack.csproj -c Release -p:Gpu=true -o nupkg-gpu -v quiet
dotnet pack src/PoseTrack.Cli/PoseTrack.Cli.csproj -c Release -p:Gpu=true -o nupkg-gpu -v quiet
ls -la nupkg-gpu
for pkg in nupkg-gpu/PoseTrack.Gpu.0*.nupkg nupkg-gpu/PoseTrack.Tool.Gpu.0*.nupkg; do test -f "$pkg" || { echo "package-check: $pkg was not packed" >&2; exit 1; }; done
python3 -c 'import sys, zipfile; n = zipfile.ZipFile(sys.argv[1]).namelist(); sys.exit(not any(x.endswith("libonnxruntime_providers_cuda.so") for x in n))' nupkg-gpu/PoseTrack.Tool.Gpu.0*.nupkg \
  || { echo "package-check: PoseTrack.Tool.Gpu lacks the CUDA provider library" >&2; exit 1; }
dotnet tool install --tool-path "$work/tools-gpu" --add-source "$root/nupkg-gpu" PoseTrack.Tool.Gpu
(cd "$work" && "$work/tools/posetrack" --input "$root/samples/data/vtest_10s.mp4" --max-frames 20 --device cpu --json cpu.jsonl -q)
(cd "$work" && "$work/tools-gpu/posetrack" --input "$root/samples/data/vtest_10s.mp4" --max-frames 20 --device auto --json gpu.jsonl 2> gpu-err.txt)
cat "$work/gpu-err.txt" >&2
node "$root/../shared/tools/same-results.js" "$work/cpu.jsonl" "$work/gpu.jsonl" \
  || { echo "package-check: the GPU tool's results differ from the CPU tool's" >&2; exit 1; }
# ONNX Runtime's own log never reaches the terminal: every line is ours, and one of them says where inference runs.
if grep -v -E '^(posetrack: |progress: frame )' "$work/gpu-err.txt" | grep -q .; then
  echo "package-check: the GPU tool printed lines that are not its own log" >&2; exit 1
fi
choice="$(grep -c 'Inference on ' "$work/gpu-err.txt" || true)"
[ "$choice" -eq 1 ] || { echo "package-check: expected one 'Inference on' line from the GPU tool, got $choice" >&2; exit 1; }
if grep -q 'Inference on CPU' "$work/gpu-err.txt"; then
  # No GPU here: --device cuda is one line naming what is missing, exit code 2.
  set +e
  (cd "$work" && "$work/tools-gpu/posetrack" --input "$root/samples/data/vtest_10s.mp4" --max-frames 2 --device cuda --json cuda.jsonl 2> cuda-err.txt)
  rc=$?
  set -e
  cat "$work/cuda-err.txt" >&2
  [ "$rc" -eq 2 ] && [ "$(wc -l < "$work/cuda-err.txt")" -eq 1 ] && grep -qE '^posetrack: error: --device cuda cannot be used: .*lib[A-Za-z]+\.so\.[0-9]+' "$work/cuda-err.txt" \
    || { echo "package-check: --device cuda without CUDA gave rc=$rc and not one line naming the missing library" >&2; exit 1; }
fi
echo "package-check: GPU variant ok in $((SECONDS - gpu_start)) s"
echo "package-check: ok"
