using System.Globalization;
using System.Text;
using PoseTrack.Core;

namespace PoseTrack.Evaluation;

/// <summary>Whether a MOTChallenge file holds ground truth or tracker output; only ground truth rows are filtered.</summary>
public enum MotFileKind
{
    /// <summary>Annotations: rows with confidence 0 and rows of another class than pedestrian are left out.</summary>
    GroundTruth,
    /// <summary>Tracker output: every row counts; the 7th column is the tracker's score.</summary>
    Hypothesis,
}

/// <summary>
/// One row of a MOTChallenge file. Coordinates stay in double precision, as written in the file, so that the
/// IoU ≥ 0.5 decisions match other evaluators exactly even for boxes right at the threshold.
/// </summary>
/// <param name="Frame">Frame number, 1-based.</param>
/// <param name="Id">Track id.</param>
/// <param name="X">Left edge in pixels.</param>
/// <param name="Y">Top edge in pixels.</param>
/// <param name="Width">Box width in pixels (≥ 0).</param>
/// <param name="Height">Box height in pixels (≥ 0).</param>
/// <param name="Score">The 7th column (confidence or score); 1 when the file has only six columns.</param>
public readonly record struct MotRecord(int Frame, int Id, double X, double Y, double Width, double Height, double Score)
{
    /// <summary>The box in single precision.</summary>
    public BoxF Box => new((float)X, (float)Y, (float)Width, (float)Height);
}

/// <summary>
/// Reads MOTChallenge text files: one box per line, <c>frame,id,x,y,w,h[,conf[,class|x3d[,visibility|y3d[,z3d]]]]</c>,
/// 6 to 10 comma-separated columns (whitespace-separated lines are accepted too), frames 1-based.
/// </summary>
/// <remarks>
/// Ground-truth rules, the same as py-motmetrics' MOTChallenge loader and the project's reference evaluator:
/// a row whose 7th column is 0 is ignored; where an 8th column exists and is not -1, only class 1 (pedestrian)
/// counts. The -1 exception is for the 10-column 2D MOT15 layout <c>frame,id,x,y,w,h,conf,x3d,y3d,z3d</c>, whose
/// 8th column is the (unused, -1) world x rather than a class. MOT15 3D files that fill in a real x3d must be read
/// with <c>classFilter: false</c>. Distractor classes (MOT16/17: static persons, reflections, ...) are simply
/// dropped here; TrackEval's removal of tracker boxes matched to distractors is not done.
/// The same (frame, id) twice in one file is an error, as in the MOTChallenge devkit.
/// </remarks>
public static class MotFile
{
    /// <summary>Reads a MOTChallenge file. Throws <see cref="PoseTrackException"/> naming file and line on bad input.</summary>
    /// <param name="path">The text file.</param>
    /// <param name="kind">Ground truth (filtered as described on <see cref="MotFile"/>) or tracker output.</param>
    /// <param name="classFilter">Whether to keep only class 1 ground truth where an 8th column exists.</param>
    public static IReadOnlyList<MotRecord> Read(string path, MotFileKind kind, bool classFilter = true)
    {
        StreamReader reader;
        try
        {
            reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            string what = kind == MotFileKind.GroundTruth ? "ground-truth" : "hypothesis";
            throw new PoseTrackException($"cannot read {what} file '{path}': {e.Message}", inner: e);
        }
        using (reader) return Parse(reader, path, kind, classFilter);
    }

    /// <summary>Parses MOTChallenge text; <paramref name="name"/> is used in error messages (<c>name:line: problem</c>).</summary>
    /// <param name="reader">The text.</param>
    /// <param name="name">The file name to report in errors.</param>
    /// <param name="kind">Ground truth (filtered as described on <see cref="MotFile"/>) or tracker output.</param>
    /// <param name="classFilter">Whether to keep only class 1 ground truth where an 8th column exists.</param>
    public static IReadOnlyList<MotRecord> Parse(TextReader reader, string name, MotFileKind kind, bool classFilter = true)
    {
        var rows = new List<MotRecord>();
        var seen = new Dictionary<(int Frame, int Id), int>();   // → line, to point at the first copy
        var values = new double[10];
        int lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            var s = line.AsSpan().Trim();
            if (s.IsEmpty) continue;
            int n = SplitNumbers(s, values, name, lineNo);

            int frame = ToInt(values[0], "frame", name, lineNo);
            if (frame < 1) throw Error(name, lineNo, $"frame must be 1 or more (frames are 1-based), got {frame}");
            int id = ToInt(values[1], "id", name, lineNo);
            if (values[4] < 0) throw Error(name, lineNo, $"negative width {Format(values[4])}");
            if (values[5] < 0) throw Error(name, lineNo, $"negative height {Format(values[5])}");
            double score = n >= 7 ? values[6] : 1.0;

            if (kind == MotFileKind.GroundTruth)
            {
                if (n >= 7 && values[6] == 0) continue;
                if (classFilter && n >= 8 && values[7] != -1 && values[7] != 1) continue;
            }
            if (seen.TryGetValue((frame, id), out int first))
                throw Error(name, lineNo, $"id {id} appears twice in frame {frame} (first on line {first})");
            seen.Add((frame, id), lineNo);
            rows.Add(new MotRecord(frame, id, values[2], values[3], values[4], values[5], score));
        }
        return rows;
    }

    // Splits one line into numbers. Commas separate fields (an empty field is an error); a line without commas is
    // split on whitespace. Returns the column count.
    private static int SplitNumbers(ReadOnlySpan<char> s, double[] values, string name, int lineNo)
    {
        bool commas = s.Contains(',');
        int n = 0;
        while (true)
        {
            int end = commas ? s.IndexOf(',') : s.IndexOfAny(' ', '\t');
            var field = (end < 0 ? s : s[..end]).Trim();
            if (n < values.Length)
            {
                if (field.IsEmpty) throw Error(name, lineNo, $"column {n + 1} is empty");
                if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                    throw Error(name, lineNo, $"column {n + 1} ('{field}') is not a number");
                values[n] = v;
            }
            n++;
            if (end < 0) break;
            s = s[(end + 1)..];
            if (!commas) s = s.TrimStart();
        }
        if (n < 6 || n > 10)
            throw Error(name, lineNo, $"expected 6 to 10 columns (frame,id,x,y,w,h[,conf,...]), got {n}");
        return n;
    }

    private static int ToInt(double v, string what, string name, int lineNo)
    {
        if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
            throw Error(name, lineNo, $"{what} must be a whole number, got {Format(v)}");
        return (int)v;
    }

    private static string Format(double v) => v.ToString(CultureInfo.InvariantCulture);

    private static PoseTrackException Error(string name, int lineNo, string problem) => new($"{name}:{lineNo}: {problem}");
}
