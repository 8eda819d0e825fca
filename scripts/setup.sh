#!/usr/bin/env bash
# Installs the native packages PoseTrack needs on Debian/Ubuntu: the OpenCV runtime links GTK 3; Debian's ffmpeg
# decodes piped input (--input -) and network streams, and makes the odd media the tests use; GStreamer's RTSP server
# (Python bindings, good and bad plugins) serves the live-stream tests; nats-server (JetStream)
# is the loopback broker of the job workers' tests.
# Runs apt-get directly as root, through sudo otherwise; without either it prints the exact command and fails.
set -euo pipefail

need=()
if ! ldconfig -p 2>/dev/null | grep -q 'libgtk-3\.so\.0'; then
  # Debian 13 / Ubuntu 24.04 renamed the package for the 64-bit time_t transition.
  if apt-cache show libgtk-3-0t64 >/dev/null 2>&1; then need+=(libgtk-3-0t64); else need+=(libgtk-3-0); fi
fi
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
# The live-stream tests' loopback RTSP server (../shared/tools/rtsp-server.py): GStreamer's RTSP server from Python.
gst_ok() {
  /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer" >/dev/null 2>&1 \
    && ls /usr/lib/*/gstreamer-1.0/libgstrtp.so >/dev/null 2>&1 \
    && ls /usr/lib/*/gstreamer-1.0/libgstvideoparsersbad.so >/dev/null 2>&1
}
# The job workers' tests: a loopback JetStream broker (Debian installs it in /usr/sbin, off a user's PATH).
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
gst_ok || need+=(python3-gst-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
  echo "PoseTrack needs the Debian package(s): ${need[*]}. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "setup: installing ${need[*]} ..." >&2
$SUDO apt-get update -qq
# apt-cache may not have known the t64 name before the update: decide again.
if [ "${need[0]}" = "libgtk-3-0" ] && apt-cache show libgtk-3-0t64 >/dev/null 2>&1 && ! apt-cache show libgtk-3-0 2>/dev/null | grep -q '^Version'; then need[0]=libgtk-3-0t64; fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
echo "setup: done" >&2
