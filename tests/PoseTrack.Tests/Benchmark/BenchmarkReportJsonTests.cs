using System.Text;
using System.Text.Json;
using PoseTrack.Benchmark;

namespace PoseTrack.Tests.Benchmark;

/// <summary><see cref="BenchmarkReport.WriteJson"/> through its source-generated context: the layout the hand-written writer had.</summary>
public sealed class BenchmarkReportJsonTests
{
    [Fact]
    public void SectionsNotRun_AreNull_FiguresRoundedTo4Decimals_NonFiniteNull()
    {
        var report = new BenchmarkReport
        {
            Machine = new MachineFigures(2, "cpu", "linux", "net", "1.2", "cpu"),
            Settings = new RunSettings("in.mp4", 8, 6, double.NaN, 10, false, "d", "p", 1, 2, 3, "off", true),
            Sequential = new ThroughputFigures(10, 1.234567, 8.1, 3, "s", double.PositiveInfinity, 0, 1.5),
            Stages = [new StageFigures("pose", 10, 0.123449, 1, 0)],
            Memory = new MemoryFigures(5, 100, 110, 120, 90),
        };
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) report.WriteJson(w);
        var text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Equal(
            "{\"machine\":{\"cores\":2,\"cpu_model\":\"cpu\",\"os\":\"linux\",\"runtime\":\"net\",\"onnxruntime\":\"1.2\",\"execution_provider\":\"cpu\"},"
            + "\"settings\":{\"input\":\"in.mp4\",\"width\":8,\"height\":6,\"input_fps\":null,\"frames\":10,\"loop\":false,\"detector\":\"d\",\"pose_model\":\"p\","
            + "\"detector_threads\":1,\"pose_threads\":2,\"pose_runs_side_by_side\":3,\"spinning\":\"off\",\"pose_batched\":true},"
            + "\"models\":null,\"model_bound\":null,"
            + "\"sequential\":{\"frames\":10,\"seconds\":1.2346,\"fps\":8.1,\"first_frame_ms\":3,\"cpu_ms_per_frame\":null,\"other_processes_cores\":0,"
            + "\"allocated_kb_per_frame\":1.5,\"sessions\":\"s\"},\"pipeline\":null,"
            + "\"stages\":[{\"name\":\"pose\",\"frames\":10,\"busy_ms_per_frame\":0.1234,\"utilisation\":1,\"mean_queue_depth\":0}],"
            + "\"ratios\":{\"pipeline_vs_bound\":null,\"pipeline_vs_sequential\":null,\"pipeline_vs_overlapped_models\":null,\"pose_batch8_vs_batch1\":null,\"pose_per_person_16_vs_1\":null},"
            + "\"time_to_first_frame_ms\":null,"
            + "\"memory_mb\":{\"checkpoint_frame\":5,\"working_set_at_checkpoint\":100,\"working_set_at_end\":110,\"end_vs_checkpoint\":1.1,\"peak_working_set\":120,\"final_working_set\":90}}",
            text);
    }
}
