using Microsoft.Extensions.Logging;
using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Sources;

/// <summary>A file a folder source did not use, and why.</summary>
/// <param name="Path">The file.</param>
/// <param name="Reason">Why it was skipped ("empty (0 bytes)", "not an image", "cannot be decoded").</param>
internal sealed record SkippedFile(string Path, string Reason);

/// <summary>
/// The images of one folder (not its sub-folders) as frames, in ordinal order of file name (so zero-padded
/// names such as PoseTrack's 000000.jpg play in order), at a fixed frame rate.
/// </summary>
/// <remarks>
/// Files that are empty or whose content is not an image format OpenCV reads are skipped when the folder is
/// opened; files that look like images but fail to decode are skipped when reached. Both are recorded in
/// <see cref="Skipped"/> and logged as warnings. The first image fixes the frame size; a later image of another
/// size is resized to it (and recorded in <see cref="Resized"/>), because the tracker and the video writer need
/// one size throughout and one odd image should not end a long run. The timestamp of a frame is its position
/// among the images divided by the rate, so a skipped image leaves a gap in time rather than shifting the rest.
/// </remarks>
public sealed class ImageFolderSource : IFrameSource
{
    private readonly string[] _images;
    private readonly List<SkippedFile> _skipped = [];
    private readonly List<string> _resized = [];
    private readonly ILogger? _logger;
    private readonly Size _size;
    private Mat? _first;   // decoded at open to fix the size; handed out by the first Read
    private int _next;

    /// <summary>Lists the images of <paramref name="folder"/> and decodes the first one.</summary>
    /// <exception cref="PoseTrackException">The folder is missing, empty, or holds no readable image.</exception>
    public ImageFolderSource(string folder, FrameSourceOptions? options = null)
    {
        options ??= new FrameSourceOptions();
        options.Validate();
        _logger = options.Logger;
        if (!Directory.Exists(folder))
            throw new PoseTrackException($"image folder not found: {folder}");

        string[] files;
        try { files = Directory.GetFiles(folder); }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new PoseTrackException($"image folder {folder} cannot be listed ({e.Message.Split('\n')[0]})", inner: e);
        }
        if (files.Length == 0)
            throw new PoseTrackException($"image folder {folder} is empty");
        Array.Sort(files, (a, b) => string.CompareOrdinal(Path.GetFileName(a), Path.GetFileName(b)));

        var images = new List<string>(files.Length);
        foreach (var file in files)
        {
            // HaveImageReader looks at the file's signature, not its extension.
            if (new FileInfo(file).Length == 0) Skip(file, "empty (0 bytes)");
            else if (!Cv2.HaveImageReader(file)) Skip(file, "not an image");
            else images.Add(file);
        }

        // The first image that decodes fixes the size; undecodable ones before it are skipped like later ones.
        while (_next < images.Count && _first is null)
        {
            var mat = Cv2.ImRead(images[_next], ImreadModes.Color);
            if (mat.Empty()) { mat.Dispose(); Skip(images[_next], "cannot be decoded"); _next++; }
            else _first = mat;
        }
        if (_first is null)
            throw new PoseTrackException($"image folder {folder} contains no readable images ({files.Length} files skipped)");

        _images = images.ToArray();
        _size = _first.Size();
        Info = new SourceInfo(folder, _size.Width, _size.Height, options.FolderFps, _images.Length, IsLive: false);
    }

    /// <inheritdoc/>
    public SourceInfo Info { get; }

    /// <summary>Files not used so far (not images, empty, or undecodable), in the order met.</summary>
    internal IReadOnlyList<SkippedFile> Skipped => _skipped;

    /// <summary>Images resized to the first image's size so far.</summary>
    public IReadOnlyList<string> Resized => _resized;

    /// <summary>The image files found, in reading order (some may still be skipped when they fail to decode).</summary>
    public IReadOnlyList<string> Images => _images;

    /// <summary>The file of the frame last returned by <see cref="Read"/>, or null before the first.</summary>
    public string? CurrentPath { get; private set; }

    /// <inheritdoc/>
    public bool Read(Mat frame, out double timeMs)
    {
        timeMs = 0;
        while (_next < _images.Length)
        {
            var index = _next++;
            var path = _images[index];
            // OpenCvSharp has no imread into an existing Mat, so decoding allocates; the copy below keeps the
            // caller's buffer, which is what the rest of the pipeline holds on to.
            var image = _first ?? Cv2.ImRead(path, ImreadModes.Color);
            _first = null;
            try
            {
                if (image.Empty()) { Skip(path, "cannot be decoded"); continue; }
                if (image.Size() == _size) image.CopyTo(frame);
                else
                {
                    Cv2.Resize(image, frame, _size, interpolation: InterpolationFlags.Area);
                    _resized.Add(path);
                    _logger?.LogWarning("image {Path} is {Width}x{Height}; resized to {FirstWidth}x{FirstHeight} like the first image",
                        path, image.Width, image.Height, _size.Width, _size.Height);
                }
            }
            finally { image.Dispose(); }

            CurrentPath = path;
            timeMs = index * 1000.0 / Info.Fps;
            return true;
        }
        return false;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _first?.Dispose();
        _first = null;
    }

    private void Skip(string path, string reason)
    {
        _skipped.Add(new SkippedFile(path, reason));
        _logger?.LogWarning("skipping {Path}: {Reason}", path, reason);
    }
}
