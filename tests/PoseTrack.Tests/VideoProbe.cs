using OpenCvSharp;

namespace PoseTrack.Tests;

/// <summary>Reads a written video back to its end, as a player would: the frames that really decode, and the size.</summary>
internal static class VideoProbe
{
    public sealed record Result(int DecodedFrames, long FrameCountProperty, int Width, int Height, double Fps);

    /// <summary>Decodes <paramref name="path"/> to the end; fails the test when it does not open.</summary>
    public static Result Read(string path)
    {
        using var cap = new VideoCapture(path);
        Assert.True(cap.IsOpened(), $"{path} does not open as a video");
        int n = 0;
        using var m = new Mat();
        while (cap.Read(m) && !m.Empty()) n++;
        return new Result(n, (long)cap.Get(VideoCaptureProperties.FrameCount), cap.FrameWidth, cap.FrameHeight, cap.Fps);
    }

    /// <summary>Number of frames of <paramref name="path"/> that decode.</summary>
    public static int Frames(string path) => Read(path).DecodedFrames;
}
