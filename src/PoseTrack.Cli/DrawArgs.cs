using System.CommandLine;
using PoseTrack.Core;
using PoseTrack.Pipeline;
using PoseTrack.Rendering;

namespace PoseTrack.Cli;

/// <summary>
/// How people are drawn on an annotated video or image: <c>--draw-threshold</c>, <c>--line-width</c>,
/// <c>--dot-size</c>, <c>--no-boxes</c>, <c>--no-labels</c>. Drawing changes only the picture, never the results.
/// </summary>
internal sealed class DrawArgs
{
    public Option<float> Threshold { get; } = new("--draw-threshold") { Description = "Keypoint score a joint needs to be drawn (drawing only: the logs keep every joint)", DefaultValueFactory = _ => new SkeletonRendererOptions().MinKeypointScore };
    public Option<float?> LineWidth { get; } = new("--line-width") { Description = "Limb width in pixels (default: sized to each person's height, 1 px for 90 px tall people, 11 px for 1000 px)" };
    public Option<float?> DotSize { get; } = new("--dot-size") { Description = "Keypoint dot radius in pixels (default: sized to each person's height)" };
    public Option<bool> NoBoxes { get; } = new("--no-boxes") { Description = "Do not draw the person boxes" };
    public Option<bool> NoLabels { get; } = new("--no-labels") { Description = "Do not draw the track ids (scores for a single image)" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Threshold, LineWidth, DotSize, NoBoxes, NoLabels }) command.Options.Add(o);
    }

    /// <summary>The pipeline options with these drawing settings, checked (messages name the flags).</summary>
    public PipelineOptions Apply(ParseResult r, PipelineOptions options)
    {
        var drawn = options with
        {
            DrawScoreThreshold = r.GetValue(Threshold),
            LineWidth = r.GetValue(LineWidth),
            DotRadius = r.GetValue(DotSize),
            DrawBoxes = !r.GetValue(NoBoxes),
            DrawLabels = !r.GetValue(NoLabels),
        };
        OptionNames.Check(drawn.Validate, OptionNames.Pipeline);
        return drawn;
    }

    /// <summary>The renderer options alone (the image command), checked.</summary>
    public SkeletonRendererOptions Build(ParseResult r) => Apply(r, new PipelineOptions()).RendererOptions();
}
