#!/usr/bin/env bash
# The device check, in one go (under 8 minutes on a GPU machine): builds the CPU and GPU variants, runs the sample video
# on CPU, CUDA and TensorRT and compares the results (keypoints within 1 px, same frames and track ids), runs COCO
# keypoint AP with ground-truth boxes on ../shared/data/coco on CPU and CUDA (AP within 0.005), and posetrack bench on
# CUDA. Prints one summary line at the end; exits non-zero when a check fails.
#
#   bash scripts/gpu-check.sh             needs an NVIDIA GPU with the driver, CUDA 13, cuDNN 9 and TensorRT 10;
#                                         without them it says what is missing in one line and exits 1
#   bash scripts/gpu-check.sh --cpu-only  everything but the device runs: the GPU build runs on CPU (--device auto
#                                         falls back) where the device runs would be, so the script itself is tested
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
cpu_only=false
[ "${1:-}" = "--cpu-only" ] && cpu_only=true
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
video="$root/samples/data/vtest_10s.mp4"
coco="$root/../shared/data/coco"
tools="$root/../shared/tools"
start=$SECONDS

fail() { echo "gpu-check: FAIL: $*" >&2; echo "gpu-check: FAIL ($((SECONDS - start)) s): $*"; exit 1; }

echo "gpu-check: building the CPU and GPU variants" >&2
dotnet build src/PoseTrack.Cli/PoseTrack.Cli.csproj -c Release -v quiet -nologo >&2
bash scripts/build-gpu.sh >&2
cpu=(dotnet "$root/src/PoseTrack.Cli/bin/Release/net10.0/PoseTrack.Cli.dll")
gpu=(dotnet "$root/src/PoseTrack.Cli/bin/gpu/Release/net10.0/PoseTrack.Cli.dll")

if ! $cpu_only; then
  # The GPU build says in one line what is missing (driver, CUDA 13, cuDNN 9) and exits 2.
  if ! (cd "$work" && "${gpu[@]}" --input "$video" --max-frames 1 --device cuda --json probe.jsonl -q 2> probe.txt); then
    echo "gpu-check: no usable GPU here: $(head -1 "$work/probe.txt") (use --cpu-only to check everything else)"
    exit 1
  fi
  cuda_dev=cuda trt_dev=tensorrt
else
  cuda_dev=auto trt_dev=auto
fi

run() { # name device extra...
  local name=$1 dev=$2; shift 2
  (cd "$work" && "${gpu[@]}" --input "$video" --device "$dev" --json "$name.jsonl" "$@" 2> "$name.err") \
    || fail "$name run: $(grep -m1 'error' "$work/$name.err" || tail -1 "$work/$name.err")"
  grep -m1 'Inference on' "$work/$name.err" >&2 || true
}

echo "gpu-check: sample video on CPU, $cuda_dev, $trt_dev" >&2
(cd "$work" && "${cpu[@]}" --input "$video" --device cpu --json cpu.jsonl -q) || fail "CPU run"
run cuda "$cuda_dev"
run trt "$trt_dev" --trt-cache "$work/trt"
same_cuda="$(node "$tools/same-results.js" "$work/cpu.jsonl" "$work/cuda.jsonl" 1.0)" || fail "CUDA vs CPU: $same_cuda"
same_trt="$(node "$tools/same-results.js" "$work/cpu.jsonl" "$work/trt.jsonl" 1.0)" || fail "TensorRT vs CPU: $same_trt"
# A second TensorRT run loads the cached engines instead of building them.
run trt2 "$trt_dev" --trt-cache "$work/trt" --max-frames 10
trt_build="$(grep -ho 'built the engine for [^ ]* in [0-9.]* s' "$work/trt.err" | tr '\n' ' ' || true)"

echo "gpu-check: COCO keypoint AP with ground-truth boxes, CPU and $cuda_dev" >&2
ap() { # device results
  (cd "$work" && "${gpu[@]}" eval coco --annotations "$coco/test_coco.json" --images "$coco" --results "$2" --gt-boxes --device "$1" -q >/dev/null 2>"$2.err") \
    || fail "eval coco on $1: $(tail -1 "$work/$2.err")"
  node "$tools/cocoeval-kp.js" "$coco/test_coco.json" "$work/$2" | sed -n 's/^AP=//p'
}
ap_cpu="$(ap cpu coco-cpu.json)"
ap_cuda="$(ap "$cuda_dev" coco-cuda.json)"
python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(abs(a - b) > 0.005)' "$ap_cpu" "$ap_cuda" \
  || fail "COCO AP on $cuda_dev $ap_cuda vs CPU $ap_cpu (more than 0.005 apart)"

echo "gpu-check: bench on $cuda_dev" >&2
(cd "$work" && "${gpu[@]}" bench --input "$video" --device "$cuda_dev" --frames 100 --warmup 10 --json bench.json -q > bench.txt 2> bench.err) \
  || fail "bench: $(tail -1 "$work/bench.err")"
read -r provider fps < <(python3 -c 'import json, sys; b = json.load(open(sys.argv[1])); print(b["machine"]["execution_provider"], round(b["pipeline"]["fps"], 1))' "$work/bench.json")
$cpu_only || [ "$provider" = "cuda" ] || fail "bench ran on $provider, not cuda"

mode=$($cpu_only && echo "cpu-only" || echo "device")
echo "gpu-check: ok ($mode, $((SECONDS - start)) s): cuda vs cpu ${same_cuda#same }; tensorrt vs cpu ${same_trt#same }; COCO AP cpu $ap_cpu $cuda_dev $ap_cuda; bench $provider ${fps} fps; ${trt_build:-no TensorRT engine built}"
