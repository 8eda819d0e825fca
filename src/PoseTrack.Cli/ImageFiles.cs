using OpenCvSharp;
using PoseTrack.Core;

namespace PoseTrack.Cli;

/// <summary>Reading still images with clear errors.</summary>
internal static class ImageFiles
{
    /// <summary>Reads a BGR image; throws <see cref="PoseTrackException"/> naming the file when it is missing, empty or not an image.</summary>
    public static Mat Read(string path)
    {
        if (!File.Exists(path)) throw new PoseTrackException($"image not found: {path}");
        if (new FileInfo(path).Length == 0) throw new PoseTrackException($"image file is empty (0 bytes): {path}");
        var mat = Cv2.ImRead(path, ImreadModes.Color);
        if (mat.Empty())
        {
            mat.Dispose();
            throw new PoseTrackException($"not a readable image: {path}");
        }
        return mat;
    }
}
