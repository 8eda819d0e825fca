using System.Globalization;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sinks;

/// <summary>
/// Writes results as one PoseTrack18-style JSON document (<c>--posetrack FILE</c>):
/// <c>{"categories":[{"supercategory":"person","id":1,"name":"person","keypoints":[…],"skeleton":[[a,b],…]}],
/// "images":[{"id":n,"frame_id":n,"file_name":"SEQ/000042.jpg","is_labeled":true},…],
/// "annotations":[{"image_id":n,"track_id":id,"category_id":1,"bbox":[x,y,w,h],"keypoints":[x,y,s,…],
/// "scores":[s,…],"score":s},…]}</c> (the annotation is <see cref="PoseJson"/>'s flat person).
/// Image ids and frame ids are the 0-based frame index; skeleton indices are 1-based as in COCO; an untracked
/// person has track id -1 (PoseTrack tools expect an integer).
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
    private readonly string _fullPath, _sequenceName;
    private readonly PoseTrackCategoryJson[] _categories;
    private readonly List<(long Index, Person[] Persons)> _frames;
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
    /// <param name="skeleton">Keypoint layout, written as the category.</param>
    /// <param name="sequenceName">Folder part of each image's file_name (e.g. the input's file name without extension).</param>
    /// <param name="expectedFrames">The source's frame count when known: sizes the frame list up front.</param>
    public PoseTrackJsonSink(string path, Skeleton skeleton, string sequenceName, long? expectedFrames = null)
    {
        ArgumentNullException.ThrowIfNull(skeleton);
        ArgumentNullException.ThrowIfNull(sequenceName);
        Path = path;
        _sequenceName = sequenceName;
        _categories = [new("person", 1, "person", skeleton.JointNames, [.. skeleton.Limbs.Select(l => new[] { l.A + 1, l.B + 1 })])];
        _frames = new((int)Math.Clamp(expectedFrames ?? 0, 0, 100_000));
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
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_written) throw new InvalidOperationException("The PoseTrack JSON sink is complete; no more frames can be written.");
            _frames.Add((result.Index, [.. result.Persons]));
        }
    }

    private PoseTrackDocumentJson Document(List<(long Index, Person[] Persons)> frames) => new(
        _categories,
        frames.Select(f => new PoseTrackImageJson(f.Index, f.Index,
            string.Create(CultureInfo.InvariantCulture, $"{_sequenceName}/{f.Index:D6}.jpg"), true)),
        frames.SelectMany(f => f.Persons.Select(p => PoseJson.PoseTrackAnnotation(f.Index, p))));

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
