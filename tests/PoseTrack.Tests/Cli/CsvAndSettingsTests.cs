using System.Globalization;
using System.Text.Json;
using PoseTrack.Sinks;

namespace PoseTrack.Tests.Cli;

/// <summary>
/// What a run's outputs say about it (issue 20): the JSON lines header's settings and the closing summary, and the
/// CSV, which must hold the log's persons row for row.
/// </summary>
public sealed class CsvAndSettingsTests
{
    private static readonly string Video = Path.Combine(TestData.RepoRoot, "samples", "data", "vtest_10s.mp4");

    [Fact]
    public void A_run_logs_its_settings_and_summary_and_its_csv_has_one_row_per_person_of_the_log()
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "track", "--input", Video, "--max-frames", "12", "--tracker", "iou", "--det-every", "2",
            "--json", "o.jsonl", "--csv", "o.csv", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("wrote=" + Path.Combine(dir, "o.csv"), r.Stdout);

        // Header: settings naming the tracker and its options, the tool version and the provider.
        var lines = File.ReadAllLines(Path.Combine(dir, "o.jsonl"));
        using (var header = JsonDocument.Parse(lines[0]))
        {
            var h = header.RootElement;
            Assert.StartsWith("0.", h.GetProperty("tool_version").GetString());
            Assert.Equal("cpu", h.GetProperty("provider").GetString());
            var s = h.GetProperty("settings");
            Assert.Equal("iou", s.GetProperty("tracker").GetString());
            Assert.Equal(2, s.GetProperty("det_every").GetInt32());
            Assert.Equal(12, s.GetProperty("max_frames").GetInt64());
            Assert.Equal(h.GetProperty("models").GetProperty("detector").GetString(), s.GetProperty("detector_model").GetString());
            var t = s.GetProperty("tracker_options");
            Assert.True(t.GetProperty("smooth").GetBoolean());
            Assert.Equal(0.3, t.GetProperty("iou_match_threshold").GetDouble(), 6);
            Assert.Equal(PoseTrack.Tracking.TrackerOptions.MaxAgeForFps(10), t.GetProperty("max_age").GetInt32());   // resolved for the 10 fps input
            Assert.False(s.GetProperty("pose").GetProperty("flip").GetBoolean());
            Assert.Equal(0.3, s.GetProperty("detector").GetProperty("score_threshold").GetDouble(), 6);
        }
        // Summary: the last line, the frames of the log, not stopped.
        using (var summary = JsonDocument.Parse(lines[^1]))
        {
            var e = summary.RootElement;
            Assert.Equal("summary", e.GetProperty("type").GetString());
            Assert.Equal(12, e.GetProperty("frames").GetInt64());
            Assert.False(e.GetProperty("stopped").GetBoolean());
            Assert.True(e.GetProperty("fps").GetDouble() > 0);
            Assert.True(e.GetProperty("seconds").GetDouble() > 0);
        }
        var log = JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl"));
        Assert.Equal(12, log.Frames.Count);
        Assert.NotNull(log.Summary);
        Assert.Equal(12, log.Summary.Frames);

        // CSV: a header row naming the joints as the log does, then one row per person of the log, same values.
        var csv = File.ReadAllLines(Path.Combine(dir, "o.csv"));
        var columns = csv[0].Split(',');
        Assert.Equal(["frame", "time_ms", "track_id", "score", "box_x", "box_y", "box_w", "box_h"], columns[..8]);
        Assert.Equal(log.Header.Skeleton.JointNames.SelectMany(n => new[] { n + "_x", n + "_y", n + "_score" }), columns[8..]);
        var persons = log.Frames.SelectMany(f => f.Persons.Select(p => (f, p))).ToList();
        Assert.True(persons.Count > 12, $"{persons.Count} persons");
        Assert.Equal(persons.Count, csv.Length - 1);
        for (int i = 0; i < persons.Count; i++)
        {
            var (f, p) = persons[i];
            var cells = csv[i + 1].Split(',');
            Assert.Equal(columns.Length, cells.Length);
            Assert.Equal(f.Frame, long.Parse(cells[0], CultureInfo.InvariantCulture));
            Assert.Equal(f.TimeMs, double.Parse(cells[1], CultureInfo.InvariantCulture));
            Assert.Equal(p.TrackId?.ToString(CultureInfo.InvariantCulture) ?? "", cells[2]);
            Assert.Equal(p.Score, F(cells[3]));
            Assert.Equal([p.Box.X, p.Box.Y, p.Box.Width, p.Box.Height], cells[4..8].Select(F));
            Assert.Equal(p.Keypoints.SelectMany(k => new[] { k.X, k.Y, k.Score }), cells[8..].Select(F));
        }

        // export converts the finished log into the same CSV, byte for byte.
        var export = CliProcess.Run(dir, "export", "o.jsonl", "--csv", "e.csv");
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Contains($"{log.Frames.Count} frames, {persons.Count} rows", export.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "o.csv")), File.ReadAllBytes(Path.Combine(dir, "e.csv")));
        // …and refuses to overwrite its input.
        var self = CliProcess.Run(dir, "export", "o.jsonl", "--csv", "o.jsonl");
        Assert.NotEqual(0, self.ExitCode);
        Assert.Equal(12, JsonLinesReader.ReadAll(Path.Combine(dir, "o.jsonl")).Frames.Count);

        static float F(string cell) => cell.Length == 0 ? float.NaN : (float)double.Parse(cell, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Csv_refuses_to_be_another_output()
    {
        var dir = TestData.TempDir();
        var r = CliProcess.Run(dir, "track", "--input", Video, "--max-frames", "2", "--json", "o.jsonl", "--csv", "o.jsonl", "-q");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--csv", r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "o.jsonl")));
    }
}
