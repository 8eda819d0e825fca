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
            + "\"sequential\":{\"frames\":10,\"seconds\":1.2346,\"fps\":8.1,\"first_frame_ms\":3,\"cpu_ms_per_frame\":null,\"child_cpu_ms_per_frame\":0,\"other_processes_cores\":0,"
            + "\"allocated_kb_per_frame\":1.5,\"sessions\":\"s\"},\"pipeline\":null,"
            + "\"stages\":[{\"name\":\"pose\",\"frames\":10,\"busy_ms_per_frame\":0.1234,\"utilisation\":1,\"mean_queue_depth\":0}],"
            + "\"parts\":null,"
            + "\"ratios\":{\"pipeline_vs_bound\":null,\"pipeline_vs_full_bound\":null,\"parts_cpu_vs_pipeline_cpu\":null,\"pipeline_vs_sequential\":null,\"pipeline_vs_overlapped_models\":null,\"pose_batch8_vs_batch1\":null,\"pose_per_person_16_vs_1\":null},"
            + "\"time_to_first_frame_ms\":null,"
            + "\"memory_mb\":{\"checkpoint_frame\":5,\"working_set_at_checkpoint\":100,\"working_set_at_end\":110,\"end_vs_checkpoint\":1.1,\"peak_working_set\":120,\"final_working_set\":90}}",
            text);
    }

    [Fact]
    public void Parts_GiveTheFullBound_TheDominantPart_AndThePipelineOverIt()
    {
        // 2 cores, 40 ms of work a frame in the pipeline's parts (the alternative is not counted): 2 × 1000 / 40 = 50 fps.
        var parts = new PartsFigures(10, 2, "process CPU time", [
            new PartFigures("decode", 10, true), new PartFigures("pose model", 25, true), new PartFigures("json lines", 5, true),
            new PartFigures("decode, ffmpeg child (alternative)", 99, false)]);
        var report = new BenchmarkReport
        {
            Machine = new MachineFigures(2, "cpu", "linux", "net", "1.2", "cpu"),
            Settings = new RunSettings("in.mp4", 8, 6, 10, 10, false, "d", "p", 1, 1, 3, "off", false),
            Pipeline = new ThroughputFigures(10, 1, 40, 3, "s", 50, 0, 1),
            Parts = parts,
        };
        Assert.Equal(40, parts.TotalCpuMsPerFrame, 9);
        Assert.Equal(50, parts.FullBoundFps, 9);
        Assert.Equal(0.8, report.PipelineVsFullBound!.Value, 9);
        // The pipeline spent 50 ms in its process and 30 in its writer child per frame: the parts alone, 40 ms.
        report = report with { Pipeline = report.Pipeline! with { ChildCpuMsPerFrame = 30 } };
        Assert.Equal(0.5, report.PartsVsPipelineCpu!.Value, 9);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) report.WriteJson(w);
        using var doc = JsonDocument.Parse(stream.ToArray());
        var json = doc.RootElement.GetProperty("parts");
        Assert.Equal(50, json.GetProperty("full_bound_fps").GetDouble());
        Assert.Equal(40, json.GetProperty("total_cpu_ms_per_frame").GetDouble());
        Assert.Equal("pose model", json.GetProperty("dominant").GetString());
        Assert.Equal(0.625, json.GetProperty("dominant_share").GetDouble());
        Assert.Equal("process CPU time", json.GetProperty("clock").GetString());
        Assert.Equal(4, json.GetProperty("parts").GetArrayLength());
        Assert.False(json.GetProperty("parts")[3].GetProperty("in_pipeline").GetBoolean());
        Assert.Equal(0.8, doc.RootElement.GetProperty("ratios").GetProperty("pipeline_vs_full_bound").GetDouble());
        Assert.Equal(0.5, doc.RootElement.GetProperty("ratios").GetProperty("parts_cpu_vs_pipeline_cpu").GetDouble());
        Assert.Equal(30, doc.RootElement.GetProperty("pipeline").GetProperty("child_cpu_ms_per_frame").GetDouble());
    }
}
