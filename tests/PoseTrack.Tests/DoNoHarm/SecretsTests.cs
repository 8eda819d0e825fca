using PoseTrack.Core;
using PoseTrack.Sinks;
using PoseTrack.Sources;

namespace PoseTrack.Tests.DoNoHarm;

/// <summary>Credentials in any URL are replaced by *** in every message, log line and output.</summary>
public sealed class SecretsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("posetrack-secrets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("rtsp://admin:hunter2@10.0.0.5:554/stream1", "rtsp://admin:***@10.0.0.5:554/stream1")]
    [InlineData("input rtsp://u:p@ss@cam/x failed", "input rtsp://u:***@cam/x failed")]
    [InlineData("http://user:hunter2@h/a.onnx?token=abc&x=1", "http://user:***@h/a.onnx?token=***&x=1")]
    [InlineData("nats://bob:s3cret@127.0.0.1:4222", "nats://bob:***@127.0.0.1:4222")]
    [InlineData("srt://h:9000?passphrase=x&pwd=hunter2", "srt://h:9000?passphrase=x&pwd=***")]
    [InlineData("rtsp://cam.local/stream", "rtsp://cam.local/stream")]
    [InlineData("video.mp4", "video.mp4")]
    [InlineData("rtsp://user@cam/stream", "rtsp://user@cam/stream")]
    public void Redact_hides_passwords_and_secret_query_values(string text, string expected) =>
        Assert.Equal(expected, Secrets.Redact(text));

    [Fact]
    public void Json_header_never_holds_the_password()
    {
        var info = new SourceInfo("rtsp://admin:hunter2@127.0.0.1:8554/cam", 64, 48, 25, null, IsLive: true);
        var header = JsonLinesHeader.For(info, "d", "p", Skeleton.Coco17);
        Assert.Equal("rtsp://admin:***@127.0.0.1:8554/cam", header.Input);
        var path = Path.Combine(_dir, "h.jsonl");
        using (var sink = new JsonLinesSink(path, header)) sink.Complete();
        var text = File.ReadAllText(path);
        Assert.DoesNotContain("hunter2", text);
        Assert.Contains("admin:***@", text);
    }

    [Fact]
    public void A_log_written_with_a_password_is_reported_without_it()
    {
        var log = Path.Combine(_dir, "old.jsonl");
        File.WriteAllText(log, "{\"type\":\"header\",\"version\":1,\"input\":\"rtsp://admin:hunter2@cam/live\",\"width\":64,\"height\":48,\"fps\":10,\"frame_count\":null,"
            + "\"models\":{\"detector\":\"d\",\"pose\":\"p\"},\"skeleton\":\"coco17\",\"created\":\"2026-12-01T00:00:00+00:00\"}\n"
            + "{\"frame\":0,\"time_ms\":0,\"persons\":[]}\n");
        var r = CliProcess.Run(_dir, "report", log, "-o", "r.html", "--no-thumbnails", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var html = File.ReadAllText(Path.Combine(_dir, "r.html"));
        Assert.DoesNotContain("hunter2", html);
        Assert.Contains("admin:***@", html);
    }

    [Fact]
    public void Stream_errors_and_the_source_description_hide_the_password()
    {
        var e = Assert.Throws<PoseTrackException>(() => FrameSources.Open("rtsp://admin:hunter2@127.0.0.1:1/cam"));
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.Contains("admin:***@", e.Message);
    }

    [Fact]
    public void Cli_messages_hide_the_password_of_inputs_and_model_sources()
    {
        var run = CliProcess.Run(_dir, "--input", "rtsp://admin:hunter2@127.0.0.1:1/cam", "--json", "o.jsonl", "--verbose");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("admin:***@", run.Stderr);
        var install = CliProcess.Run(_dir, "models", "install", "movenet-lightning", "--models", _dir, "--url", "http://bob:hunter2@127.0.0.1:1/m.onnx?token=t0ps3cret");
        Assert.NotEqual(0, install.ExitCode);
        foreach (var r in new[] { run, install })
        {
            Assert.DoesNotContain("hunter2", r.Stdout + r.Stderr);
            Assert.DoesNotContain("t0ps3cret", r.Stdout + r.Stderr);
        }
    }
}
