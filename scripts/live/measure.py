#!/usr/bin/env python3
"""Measures posetrack on a loopback RTSP stream (issue 16's closing figures):
  latency   end-to-end latency p50/p95 (summary line) of 150-frame runs on a looped copy of the sample (no reconnect)
  reconnect the server killed after frame 55, down 4 s, restarted: frames it sent that we never got, gap, reconnect delay
  giveup    --reconnect 2 against a port nobody listens on: seconds until exit 2
Usage: scripts/live/measure.py [latency|reconnect|giveup ...] [--runs N]. Needs ffmpeg and Debian's GStreamer RTSP
server packages (scripts/setup.sh); runs the built CLI (dotnet build -c Release first)."""
import json, os, re, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = ["dotnet", os.path.join(ROOT, "src/PoseTrack.Cli/bin/Release/net10.0/PoseTrack.Cli.dll")]
SAMPLE = os.path.join(ROOT, "samples/data/vtest_10s.mp4")
SERVER = os.path.join(ROOT, "scripts/live/rtsp-count-server.py")

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

class Server:
    def __init__(self, file, port, log):
        self.log = log
        self.p = subprocess.Popen(["/usr/bin/python3", SERVER, file, str(port)], stdout=open(log, "w"), stderr=subprocess.DEVNULL)
        for _ in range(300):
            if os.path.exists(log) and "rtsp://" in open(log).read(): return
            time.sleep(0.05)
        raise RuntimeError("server did not start")
    def sent(self):
        rows = [l.split() for l in open(self.log) if l.startswith("sent ")]
        return (int(rows[-1][1]), float(rows[0][2]), float(rows[-1][2])) if rows else (0, None, None)
    def stop(self):
        self.p.kill(); self.p.wait()

def summary(stdout):
    m = re.search(r"frames=(\d+) .*dropped=(\d+) .*gaps=(\d+) latency_p50_ms=(\d+) latency_p95_ms=(\d+)", stdout)
    return dict(frames=int(m[1]), dropped=int(m[2]), gaps=int(m[3]), p50=int(m[4]), p95=int(m[5])) if m else None

def last_frame(path):
    try:
        lines = [l for l in open(path) if l.startswith('{"frame"')]
        return json.loads(lines[-1])["frame"] if lines else -1
    except (OSError, ValueError):
        return -1

def latency(runs, d):
    looped = os.path.join(d, "looped.mp4")
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-stream_loop", "3", "-i", SAMPLE, "-c", "copy", looped], check=True)
    out = []
    for i in range(runs):
        port = free_port(); s = Server(looped, port, os.path.join(d, f"lat{i}.log"))
        try:
            r = subprocess.run(CLI + ["--input", f"rtsp://127.0.0.1:{port}/live", "--json", os.path.join(d, f"lat{i}.jsonl"), "--max-frames", "150", "-q"],
                               capture_output=True, text=True, timeout=300)
        finally:
            s.stop()
        sm = summary(r.stdout); out.append(sm)
        print(f"latency run {i + 1}: exit {r.returncode} {sm}", flush=True)
    print(f"latency: median p50 {statistics.median(x['p50'] for x in out)} ms, median p95 {statistics.median(x['p95'] for x in out)} ms over {runs} runs")

def reconnect(runs, d):
    for i in range(runs):
        port = free_port(); jsonl = os.path.join(d, f"rec{i}.jsonl")
        s1 = Server(SAMPLE, port, os.path.join(d, f"rec{i}-s1.log"))
        p = subprocess.Popen(CLI + ["--input", f"rtsp://127.0.0.1:{port}/live", "--json", jsonl, "--max-frames", "150", "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while last_frame(jsonl) < 55 and p.poll() is None: time.sleep(0.02)
        t_kill = time.time(); s1.stop(); sent1 = s1.sent()
        time.sleep(4)
        t_up = time.time(); s2 = Server(SAMPLE, port, os.path.join(d, f"rec{i}-s2.log"))
        stdout, stderr = p.communicate(timeout=300)
        s2.stop(); sent2 = s2.sent()
        lines = [json.loads(l) for l in open(jsonl)]
        gi = next(k for k, l in enumerate(lines) if l.get("type") == "gap"); gap = lines[gi]
        after = next(l for l in lines[gi + 1:] if "frame" in l)
        received1 = after["frame"]          # frame numbers count every frame read, processed or dropped
        print(f"reconnect run {i + 1}: exit {p.returncode}; server 1 sent {sent1[0]} frames, we read {received1} of them: lost {sent1[0] - received1}; "
              f"gap {gap['from_ms']:.0f}..{gap['to_ms']:.0f} ms = {(gap['to_ms'] - gap['from_ms']) / 1000:.2f} s (server down {t_up - t_kill:.2f} s; "
              f"first frame of server 2 sent {sent2[1] - t_up:.2f} s after it was up); summary {summary(stdout)}; "
              f"reconnect lines {len(re.findall('reconnected', stderr))}", flush=True)

def giveup(runs, d):
    for i in range(runs):
        t = time.time()
        r = subprocess.run(CLI + ["--input", f"rtsp://127.0.0.1:{free_port()}/live", "--json", os.path.join(d, "g.jsonl"), "--reconnect", "2"],
                           capture_output=True, text=True, timeout=300)
        print(f"giveup (never answers) run {i + 1}: exit {r.returncode} after {time.time() - t:.1f} s: {r.stderr.strip()}", flush=True)
        port = free_port(); jsonl = os.path.join(d, f"g{i}.jsonl")
        s = Server(SAMPLE, port, os.path.join(d, f"g{i}.log"))
        p = subprocess.Popen(CLI + ["--input", f"rtsp://127.0.0.1:{port}/live", "--json", jsonl, "--reconnect", "2", "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while last_frame(jsonl) < 5 and p.poll() is None: time.sleep(0.02)
        t = time.time(); s.stop()
        _, err = p.communicate(timeout=300)
        print(f"giveup (went away mid-run) run {i + 1}: exit {p.returncode} {time.time() - t:.1f} s after the server went away: {err.strip().splitlines()[-1]}", flush=True)

if __name__ == "__main__":
    args = sys.argv[1:]; runs = 3
    if "--runs" in args:
        k = args.index("--runs"); runs = int(args[k + 1]); del args[k:k + 2]
    d = tempfile.mkdtemp(prefix="posetrack-live-")
    for what in args or ["latency", "reconnect", "giveup"]:
        {"latency": latency, "reconnect": reconnect, "giveup": giveup}[what](runs, d)
