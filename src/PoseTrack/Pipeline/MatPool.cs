using System.Collections.Concurrent;
using OpenCvSharp;

namespace PoseTrack.Pipeline;

/// <summary>
/// A small pool of frame buffers so memory stays flat over long videos: frames are rented by the source and
/// returned by the last stage. At most <see cref="Capacity"/> idle buffers are kept; extras are disposed.
/// </summary>
internal sealed class MatPool : IDisposable
{
    // Rented on the source's thread, returned on the sinks': a queue hands buffers across threads (a bag keeps
    // per-thread lists and would steal from the other thread on every rent).
    private readonly ConcurrentQueue<Mat> _idle = new();

    public int Capacity { get; }

    public MatPool(int capacity) => Capacity = Math.Max(1, capacity);

    public Mat Rent()
    {
        return _idle.TryDequeue(out var m) ? m : new Mat();
    }

    public void Return(Mat m)
    {
        if (m.IsDisposed) return;
        if (_idle.Count < Capacity) _idle.Enqueue(m); else m.Dispose();
    }

    public void Dispose()
    {
        while (_idle.TryDequeue(out var m)) m.Dispose();
    }
}
