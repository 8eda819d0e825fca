#!/usr/bin/python3
"""rtsp-server.py plus a count: prints 'sent N T' (frames handed to the client's sink, wall time) per frame."""
import sys, time
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer, GLib
path, port = sys.argv[1], sys.argv[2]
Gst.init(None)
server = GstRtspServer.RTSPServer(); server.set_address("127.0.0.1"); server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(f'( filesrc location="{path}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )')
factory.set_shared(False)
state = {"n": 0, "last": None}
def probe(pad, info):
    if info.type & Gst.PadProbeType.BUFFER_LIST:
        lst = info.get_buffer_list()
        for i in range(lst.length()): count(lst.get(i))
    else:
        count(info.get_buffer())
    return Gst.PadProbeReturn.OK
def count(buf):
    ok, m = buf.map(Gst.MapFlags.READ)
    if ok:
        data = bytes(m.data[:12]); buf.unmap(m)
        if len(data) >= 8:
            ts = data[4:8]
            if ts != state["last"]:
                state["last"] = ts; state["n"] += 1
                print(f"sent {state['n']} {time.time():.3f}", flush=True)
def on_state(media, st):
    if st == Gst.State.PLAYING and not getattr(media, "_probed", False):
        media._probed = True
        el = media.get_element()
        top = el
        while top.get_parent() is not None: top = top.get_parent()
        it = top.iterate_recurse()
        while True:
            r, e = it.next()
            if r != Gst.IteratorResult.OK: break
            f = e.get_factory()
            if f and f.get_name() in ("appsink", "multiudpsink") and e.get_property("sync"):
                print(f"probe {e.get_name()} {f.get_name()} sync={e.get_property('sync')}", flush=True)
                e.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, probe)
def on_configure(factory, media):
    media.connect("new-state", on_state)
factory.connect("media-configure", on_configure)
server.get_mount_points().add_factory("/live", factory)
server.attach(None)
print(f"rtsp://127.0.0.1:{port}/live", flush=True)
GLib.MainLoop().run()
