using OpenCvSharp;
using PoseTrack.Core;
using PoseTrack.Detection;
using PoseTrack.Pose;

namespace PoseTrack.Pipeline;

/// <summary>
/// One detector and one pose model serving the pipelines of several streams in one process. The shipped models own
/// per-call buffers (the detector's letterbox canvas and input tensor, the pose model's crops, input and output
/// buffers), so they are called by one pipeline at a time: each call holds that model's lock. A detect call of one
/// stream still overlaps a pose call of another, as the two stages overlap in a single pipeline, so N streams keep
/// the models as busy as one stream does. Every call sees exactly the inputs it would see in a single run, so each
/// stream's results are those of its own single run. The wrapped models are used, not owned (disposing these does
/// nothing).
/// </summary>
internal static class SharedModels
{
    /// <summary>A detector whose calls are serialised (one at a time across all the pipelines that hold it).</summary>
    public static IPersonDetector Serialise(IPersonDetector detector) => detector as LockedDetector ?? new LockedDetector(detector);

    /// <summary>A pose model whose calls are serialised (one at a time across all the pipelines that hold it).</summary>
    public static IPoseModel Serialise(IPoseModel pose) => pose as LockedPoseModel ?? new LockedPoseModel(pose);

    /// <summary>
    /// Each stream's stages block pool threads (in the models' calls and while waiting for the shared models' locks),
    /// and the pose model runs crops side by side on the pool too: with the pool's default minimum (one thread a core)
    /// new threads come only slowly and the streams starve each other. Enough threads for every stage of every stream
    /// are made available at once.
    /// </summary>
    public static void ReserveThreads(int streams)
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        int wanted = streams * 6 + Environment.ProcessorCount * 2;
        if (workers < wanted) ThreadPool.SetMinThreads(wanted, io);
    }

    private sealed class LockedDetector(IPersonDetector inner) : IPersonDetector
    {
        private readonly Lock _gate = new();
        public string Name => inner.Name;
        public IReadOnlyList<PersonDetection> Detect(Mat bgrImage)
        {
            lock (_gate) return inner.Detect(bgrImage);
        }
        public void Dispose() { }
    }

    private sealed class LockedPoseModel(IPoseModel inner) : IPoseModel
    {
        private readonly Lock _gate = new();
        public string Name => inner.Name;
        public Skeleton Skeleton => inner.Skeleton;
        public IReadOnlyList<Person> Estimate(Mat bgrImage, IReadOnlyList<PersonDetection> boxes)
        {
            lock (_gate) return inner.Estimate(bgrImage, boxes);
        }
        public void Dispose() { }
    }
}
