using System.Globalization;
using System.Text;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// Writes persons as CSV, one row per person per frame: <c>frame,time_ms,track_id,score,box_x,box_y,box_w,box_h</c>,
/// then <c>&lt;joint&gt;_x,&lt;joint&gt;_y,&lt;joint&gt;_score</c> for each joint of the skeleton (named as in the JSON
/// lines header), after one header row. Numbers are those of the JSON lines log — the same person DTO
/// (<see cref="PoseJson.Person"/>) with the same rounding (coordinates 2 decimals, scores and time 3), in invariant
/// culture and shortest round-trip form; an untracked person's track id and a non-finite number are empty fields.
/// Used live by <see cref="CsvFileSink"/> and by <c>posetrack export</c> on a finished log, which give the same bytes.
/// </summary>
internal sealed class CsvWriter
{
    private readonly int _joints;
    private readonly StringBuilder _row = new(1024);

    /// <summary>A writer for persons of <paramref name="skeleton"/>.</summary>
    public CsvWriter(Skeleton skeleton)
    {
        ArgumentNullException.ThrowIfNull(skeleton);
        _joints = skeleton.JointNames.Count;
        var h = new StringBuilder("frame,time_ms,track_id,score,box_x,box_y,box_w,box_h");
        foreach (var name in skeleton.JointNames) h.Append(',').Append(name).Append("_x,").Append(name).Append("_y,").Append(name).Append("_score");
        HeaderRow = h.Append('\n').ToString();
    }

    /// <summary>The header row, ending in '\n'.</summary>
    public string HeaderRow { get; }

    /// <summary>The rows of one frame (one per person, each ending in '\n'; empty for a frame without persons).</summary>
    public string FrameRows(long frame, double? timeMs, IEnumerable<PersonJson> persons)
    {
        ArgumentNullException.ThrowIfNull(persons);
        _row.Clear();
        foreach (var p in persons)
        {
            _row.Append(frame.ToString(CultureInfo.InvariantCulture)).Append(',');
            Number(timeMs).Append(',');
            if (p.TrackId is int id) _row.Append(id.ToString(CultureInfo.InvariantCulture));
            _row.Append(',');
            Number(p.Score);
            for (int i = 0; i < 4; i++) Number(i < p.Box.Length ? p.Box[i] : null, comma: true);
            for (int j = 0; j < _joints; j++)
            {
                var k = j < p.Keypoints.Length ? p.Keypoints[j] : null;
                for (int c = 0; c < 3; c++) Number(k is not null && c < k.Length ? k[c] : null, comma: true);
            }
            _row.Append('\n');
        }
        return _row.ToString();
    }

    private StringBuilder Number(double? v, bool comma = false)
    {
        if (comma) _row.Append(',');
        if (v is double d && double.IsFinite(d)) _row.Append(d.ToString(CultureInfo.InvariantCulture));
        return _row;
    }

    /// <summary>The person of a JSON lines log as the live writer had it: its numbers rounded again from the floats read back.</summary>
    public static PersonJson Person(JsonLinesPerson p)
    {
        const int c = JsonNumbers.CoordinateDecimals, s = JsonNumbers.ScoreDecimals;
        var kps = new double?[p.Keypoints.Length][];
        for (int i = 0; i < kps.Length; i++)
        {
            var k = p.Keypoints[i];
            kps[i] = [JsonNumbers.Round(k.X, c), JsonNumbers.Round(k.Y, c), JsonNumbers.Round(k.Score, s)];
        }
        return new PersonJson(p.TrackId, [JsonNumbers.Round(p.Box.X, c), JsonNumbers.Round(p.Box.Y, c), JsonNumbers.Round(p.Box.Width, c), JsonNumbers.Round(p.Box.Height, c)],
            null, JsonNumbers.Round(p.Score, s), kps);
    }
}
