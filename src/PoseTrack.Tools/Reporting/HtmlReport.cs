using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Fluid;

namespace PoseTrack.Reporting;

/// <summary>
/// Writes a <see cref="RunAnalysis"/> as one self-contained HTML page from the templates embedded in this assembly
/// (Reporting/Templates: report.liquid, with report.css and report.js inlined): inline SVG plots, thumbnails as data
/// URIs, nothing fetched from the network. Every number is aggregated (per track, or per plot bucket), so the page
/// stays small for long runs. Everything from the log is HTML-escaped by the renderer's encoder; only the page's own
/// CSS and script are written raw.
/// <para>
/// The page checks itself when it loads: report.js, first in the head, records any script or resource error, and
/// once the document is parsed sets <c>data-ok="true"</c> on the &lt;html&gt; element (and <c>data-rows</c>,
/// <c>data-visible-rows</c>) only when there was none and every timeline row renders. A headless browser's
/// <c>--dump-dom</c> shows them.
/// </para>
/// </summary>
internal static class HtmlReport
{
    /// <summary>Most plot points: longer runs are averaged into this many buckets (min and max kept as a band).</summary>
    internal const int PlotBuckets = 600;

    /// <summary>Most rows of the problems table (the timeline and the jitter table show every track).</summary>
    internal const int MaxIssueRows = 1000;

    /// <summary>Escapes &lt; &gt; &amp; quotes (and +) but leaves other characters readable (×, –, →, names in any script).</summary>
    internal static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private static readonly TemplateOptions Options = new TemplateOptionsBuilder().WithCultureInfo(CultureInfo.InvariantCulture).Build();

    private static readonly Lazy<(IFluidTemplate Page, string Css, string Script)> Templates = new(() =>
    {
        if (!new FluidParser().TryParse(Resource("report.liquid"), out var page, out var error))
            throw new InvalidOperationException($"Reporting/Templates/report.liquid does not parse: {error}");
        return (page, Resource("report.css"), Resource("report.js"));
    });

    /// <summary>Renders the page.</summary>
    public static string Render(RunAnalysis a, ThumbnailSet? thumbnails)
    {
        ArgumentNullException.ThrowIfNull(a);
        var (page, css, script) = Templates.Value;
        var context = new TemplateContext(Options);
        context.SetValue("page", ReportModel.Build(a, thumbnails, DateTimeOffset.UtcNow));
        context.SetValue("css", css);
        context.SetValue("script", script);
        context.SetValue("max_issue_rows", MaxIssueRows);
        return page.Render(context, Encoder);
    }

    private static string Resource(string name)
    {
        using var stream = typeof(HtmlReport).Assembly.GetManifestResourceStream("PoseTrack.Reporting.Templates." + name)
                           ?? throw new InvalidOperationException($"the report template {name} is not embedded in {typeof(HtmlReport).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>About <paramref name="count"/> round frame numbers between <paramref name="from"/> and <paramref name="to"/>.</summary>
    internal static IEnumerable<long> Ticks(long from, long to, int count)
    {
        long range = Math.Max(1, to - from);
        double raw = (double)range / Math.Max(1, count);
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 5, 10 }.Select(m => m * mag).First(s => s >= raw);
        long st = Math.Max(1, (long)step);
        for (long t = (from + st - 1) / st * st; t <= to; t += st) yield return t;
    }

    /// <summary>A distinct, stable colour per track id (golden-angle hues).</summary>
    internal static string Colour(int id) => string.Create(CultureInfo.InvariantCulture, $"hsl({id * 137.508 % 360:F0},62%,46%)");
}
