using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PoseTrack.Core;
using PoseTrack.Sources;

namespace PoseTrack.Tests.Sources;

/// <summary>No camera or stream server here: only the error paths, which must be clear and fast (streams: see LiveStreamTests).</summary>
public class LiveSourceTests
{
    [Fact]
    public void Missing_camera_is_a_clear_error()
    {
        var e = Assert.Throws<PoseTrackException>(() => new CameraSource(7));
        Assert.Equal("camera 7 cannot be opened (no such device /dev/video7)", e.Message);
    }

    [Fact]
    public void Negative_camera_index_is_an_error()
    {
        var e = Assert.Throws<PoseTrackException>(() => new CameraSource(-1));
        Assert.StartsWith("camera -1 cannot be opened", e.Message);
    }

    [Fact]
    public void Refused_stream_fails_fast()
    {
        var watch = Stopwatch.StartNew();
        // With a 60 s timeout, finishing within 15 s means the refusal was seen, not waited out.
        var e = Assert.Throws<PoseTrackException>(() => new NetworkSource("http://127.0.0.1:9/x.mp4", new FrameSourceOptions { StreamTimeout = TimeSpan.FromSeconds(60) }));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
        Assert.StartsWith("stream http://127.0.0.1:9/x.mp4 cannot be opened: ", e.Message);
        Assert.Contains("Connection refused", e.Message);
    }

    [Fact]
    public void Silent_server_fails_within_the_timeout()
    {
        // Accepts the connection but never answers: ffmpeg's socket timeout (or the open deadline) must end it.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var url = $"rtsp://127.0.0.1:{port}/live";
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<PoseTrackException>(() =>
            new NetworkSource(url, new FrameSourceOptions { StreamTimeout = TimeSpan.FromSeconds(2) }));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.StartsWith($"stream {url} cannot be opened: ", e.Message);
    }

    [Fact]
    public void Malformed_url_is_an_error()
    {
        var e = Assert.Throws<PoseTrackException>(() => new NetworkSource("rtsp://"));
        Assert.Equal("stream rtsp:// is not a valid URL", e.Message);
    }

    [Fact]
    public void Password_never_reaches_the_message()
    {
        var e = Assert.Throws<PoseTrackException>(() => new NetworkSource("rtsp://user:secret@127.0.0.1:9/live"));
        Assert.DoesNotContain("secret", e.Message);
        Assert.StartsWith("stream rtsp://user:***@127.0.0.1:9/live cannot be opened: ", e.Message);
    }

    [Fact]
    public void Unsupported_scheme_is_an_error()
    {
        var e = Assert.Throws<PoseTrackException>(() => FrameSources.Open("gopher://127.0.0.1/x"));
        Assert.StartsWith("input gopher://127.0.0.1/x: unsupported URL scheme 'gopher'", e.Message);
    }
}
