using System.Globalization;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// Writes results as one PoseTrack18 JSON document (<c>--posetrack FILE</c>) in the layout of the dataset's annotation
/// files, which the official evaluator (poseval) reads:
/// <c>{"categories":[{"supercategory":"person","id":1,"name":"person","keypoints":[PoseTrack18's 17],"skeleton":[[16,14],…]}],
/// "images":[{"id":10034180000,"frame_id":10034180000,"file_name":"images/val/003418_mpii_test/000000.jpg","is_labeled":true,
/// "vid_id":"003418","nframes":149},…],
/// "annotations":[{"id":1003418000000,"image_id":10034180000,"track_id":id,"category_id":1,"bbox":[x,y,w,h],
/// "keypoints":[x,y,s,…],"scores":[s,…],"score":s},…]}</c>.
/// Ids follow the dataset (<see cref="PoseTrack18.ImageId"/>, <see cref="PoseTrack18.AnnotationId"/>); keypoints are
/// in PoseTrack18's order with head_bottom/head_top made by <see cref="PoseTrack18.HeadRule"/> for COCO models; an
/// untracked person has track id -1. A PoseTrack18 image folder keeps its own video number, file names and frame
/// numbers (<see cref="PoseTrackSequence"/>). Numbers are rounded as in the JSON lines, so
/// <c>posetrack export RUN.jsonl --posetrack FILE</c> writes the same document from the log.
/// <para>
/// Written at the end of the run: the sink keeps each frame's persons and <see cref="Complete"/> (or
/// <see cref="Dispose"/> without it) writes the whole document into "PATH.tmp" beside the output, flushes it to disk
/// and renames it over PATH. Until then PATH holds the empty document written when the sink opened, and the writer's
/// lock on it is held, so the file is always one valid document. The CLI completes its sinks however a run ends
/// short of SIGKILL (end of input, Ctrl+C, SIGTERM, a fault elsewhere), so the document holds every frame processed;
/// after a SIGKILL it is the empty document (and maybe a partial "PATH.tmp"): the JSON lines log (<c>--json</c>),
/// flushed every frame, is the record then. The persons are held in memory until the end (about 0.3 KB each).
/// </para>
/// </summary>
public sealed class PoseTrackJsonSink : IFrameSink
{
    private const string What = "PoseTrack JSON output";

    private readonly object _gate = new();
    private readonly FileStream _lock;
    private readonly string _fullPath;
    private readonly PoseTrackSequence _sequence;
    private readonly int[] _sources;
    private readonly PoseTrackCategoryJson[] _categories;
    private readonly List<(long Index, PersonJson[] Persons)> _frames;
    private bool _written, _disposed;

    /// <summary>The output path as given.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public bool NeedsImage => false;

    /// <summary>
    /// Creates (or overwrites) <paramref name="path"/> with an empty document and holds the writer's lock on it. Throws
    /// <see cref="PoseTrackException"/> naming the path when it cannot be created or another run is writing it.
    /// </summary>
    /// <param name="path">Output file.</param>
    /// <param name="skeleton">The model's keypoint layout (mapped onto PoseTrack18's by joint name).</param>
    /// <param name="sequenceName">Folder part of each image's file_name (e.g. the input's file name without extension); video 0.</param>
    /// <param name="expectedFrames">The source's frame count when known: nframes, and sizes the frame list up front.</param>
    public PoseTrackJsonSink(string path, Skeleton skeleton, string sequenceName, long? expectedFrames = null)
        : this(path, skeleton, new PoseTrackSequence(0, "000000", sequenceName ?? throw new ArgumentNullException(nameof(sequenceName)), null, expectedFrames))
    {
    }

    /// <summary>As above, for a known sequence (<see cref="PoseTrackSequence.For"/>): a PoseTrack18 folder keeps its ids and names.</summary>
    internal PoseTrackJsonSink(string path, Skeleton skeleton, PoseTrackSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(skeleton);
        ArgumentNullException.ThrowIfNull(sequence);
        Path = path;
        _sequence = sequence;
        _sources = PoseTrack18.SourceJoints(skeleton.JointNames);
        _categories = [new("person", 1, "person", PoseTrack18.JointNames, [.. PoseTrack18.Limbs])];
        _frames = new((int)Math.Clamp(sequence.FrameCount ?? 0, 0, 100_000));
        _lock = OutputFile.Create(path, What);
        _fullPath = _lock.Name;
        try { PoseJson.Write(_lock, Document([]), PoseJsonContext.Default.PoseTrackDocumentJson); }
        catch (Exception e) when (OutputFile.IsWriteFailure(e))
        {
            _lock.Dispose();
            throw OutputFile.WriteFailed(path, What, e);
        }
        catch { _lock.Dispose(); throw; }
    }

    /// <inheritdoc />
    public void Write(FrameResult result, Mat? annotated)
    {
        ArgumentNullException.ThrowIfNull(result);
        Add(result.Index, [.. result.Persons.Select(p => PoseJson.Person(p))]);
    }

    /// <summary>Adds one frame of a finished JSON lines log (<c>posetrack export</c>): the same entries the live run wrote.</summary>
    public void Write(JsonLinesFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        Add(frame.Frame, [.. frame.Persons.Select(CsvWriter.Person)]);
    }

    private void Add(long index, PersonJson[] persons)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_written) throw new InvalidOperationException("The PoseTrack JSON sink is complete; no more frames can be written.");
            _frames.Add((index, persons));
        }
    }

    private PoseTrackDocumentJson Document(List<(long Index, PersonJson[] Persons)> frames)
    {
        // nframes: the sequence's length when the source knows it, else the frames written.
        long nframes = _sequence.FrameCount ?? frames.Count;
        var images = new List<PoseTrackImageJson>(frames.Count);
        var annotations = new List<PoseTrackAnnotationJson>();
        foreach (var (index, persons) in frames)
        {
            var (frame, fileName) = _sequence.FrameOf(index);
            long id = PoseTrack18.ImageId(_sequence.VideoNumber, frame);
            images.Add(new PoseTrackImageJson(id, id, fileName, true, _sequence.VideoId, nframes));
            for (int k = 0; k < persons.Length; k++)
                annotations.Add(PoseJson.PoseTrackAnnotation(PoseTrack18.AnnotationId(id, k), id, persons[k], _sources));
        }
        return new(_categories, images, annotations);
    }

    /// <summary>
    /// Writes the document of every frame given (atomically: temporary file, flush, rename) and releases the file;
    /// later calls do nothing. A refused write (disk full, file-size limit) throws <see cref="PoseTrackException"/>
    /// naming the file, which then keeps its empty document; the temporary file is removed.
    /// </summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (_written || _disposed) return;
            _written = true;
            var tmp = _fullPath + ".tmp";
            try
            {
                using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    PoseJson.Write(file, Document(_frames), PoseJsonContext.Default.PoseTrackDocumentJson);
                    file.Flush(flushToDisk: true);
                }
                // Closed before the rename so this also works where open files cannot be replaced (Windows).
                _lock.Dispose();
                File.Move(tmp, _fullPath, overwrite: true);
            }
            catch (Exception e) when (OutputFile.IsWriteFailure(e) || e is UnauthorizedAccessException)
            {
                try { File.Delete(tmp); }
                catch (Exception d) when (d is IOException or UnauthorizedAccessException) { /* a stale .tmp is harmless */ }
                throw OutputFile.WriteFailed(Path, What, e);
            }
            finally
            {
                _lock.Dispose();
                _frames.Clear();
            }
        }
    }

    /// <summary>Writes the document when <see cref="Complete"/> was not called (errors are swallowed: the file keeps its empty document), and releases the file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            try { Complete(); }
            catch (PoseTrackException) { /* reported by Complete's caller, if any; Dispose does not throw */ }
            _disposed = true;
            _lock.Dispose();
        }
    }
}
