using System.Collections.Concurrent;
using OpenCvSharp;

namespace PoseTrack.Pipeline;

/// <summary>
/// A small pool of frame buffers so memory stays flat over long videos: frames are rented by the source and
/// returned by the last stage. At most <see cref="Capacity"/> idle buffers are kept; extras are disposed.
/// </summary>
internal sealed class MatPool : IDisposable
{
    private readonly ConcurrentBag<Mat> _idle = [];
    private int _created;

    public int Capacity { get; }
    /// <summary>Buffers created over the pool's life (stays bounded when frames are returned).</summary>
    public int Created => Volatile.Read(ref _created);

    public MatPool(int capacity) => Capacity = Math.Max(1, capacity);

    public Mat Rent()
    {
        if (_idle.TryTake(out var m)) return m;
        Interlocked.Increment(ref _created);
        return new Mat();
    }

    public void Return(Mat m)
    {
        if (m.IsDisposed) return;
        if (_idle.Count < Capacity) _idle.Add(m); else m.Dispose();
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var m)) m.Dispose();
    }
}
