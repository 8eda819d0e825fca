#!/usr/bin/env bash
# Builds the GPU variant (-p:Gpu=true: Microsoft.ML.OnnxRuntime.Gpu, CUDA and TensorRT providers) of the library and
# the tool into their own folders (src/*/obj/gpu, src/*/bin/gpu), beside the CPU build, which it never touches.
# The tests (GpuBuildTests) run it from src/PoseTrack.Cli/bin/gpu/Release/net10.0/PoseTrack.Cli.dll.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/PoseTrack.Cli/PoseTrack.Cli.csproj -c Release -p:Gpu=true -v quiet -nologo "$@"
