namespace PoseTrack.Core;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its callback on the reporting thread, at once (<see cref="Progress{T}"/>
/// posts to the thread pool, so lines would arrive late and out of order).
/// </summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc/>
    public void Report(T value) => report(value);
}
