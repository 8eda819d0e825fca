using NATS.Client.JetStream;
using PoseTrack.Core;

namespace PoseTrack.Jobs;

/// <summary>What running one job produced: the exit code, the error line when it failed, the files it wrote.</summary>
internal sealed record JobRunResult(int ExitCode, string? Error, IReadOnlyList<string> Outputs);

/// <summary>
/// Runs one job's pipeline: <paramref name="input"/> (a local copy of an uploaded video, or the path/URL the job
/// names) into <paramref name="outputDir"/>. <paramref name="abort"/> ends it at once (the job is handed back).
/// </summary>
internal delegate Task<JobRunResult> JobRunner(JobSpec job, string input, string outputDir, CancellationToken abort);

/// <summary>
/// A worker: <c>slots</c> loops, each pulling one job at a time from the shared consumer, recording it running,
/// sending progress acks while it runs, uploading its outputs under the job's key, recording done and only then
/// acking. A failed attempt is retried (nak with a delay) until the consumer's MaxDeliver, then recorded failed with
/// its error and terminated. A job found already done or failed (its worker died between recording and acking) is
/// acked without running again: a redelivery never produces a second result.
/// </summary>
internal sealed class JobWorker(JobBroker broker, JobRunner runner, string name, Action<string> log)
{
    public string Name => name;

    /// <summary>Pulls and runs jobs until <paramref name="stopPulling"/>; <paramref name="abortJobs"/> hands running jobs back.</summary>
    public Task RunAsync(int slots, CancellationToken stopPulling, CancellationToken abortJobs) =>
        Task.WhenAll(Enumerable.Range(0, slots).Select(_ => Task.Run(() => SlotAsync(stopPulling, abortJobs), CancellationToken.None)));

    private async Task SlotAsync(CancellationToken stopPulling, CancellationToken abortJobs)
    {
        INatsJSConsumer? consumer = null;
        while (!stopPulling.IsCancellationRequested)
        {
            INatsJSMsg<byte[]>? msg;
            try
            {
                consumer ??= await broker.ConsumerAsync(stopPulling).ConfigureAwait(false);
                msg = await consumer.NextAsync<byte[]>(opts: new NatsJSNextOpts { Expires = TimeSpan.FromSeconds(5) }, cancellationToken: stopPulling).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopPulling.IsCancellationRequested) { break; }
            catch (Exception e)
            {
                // Broker away (restart, network): the client reconnects by itself; ask again shortly.
                log($"broker unavailable ({Secrets.Redact(e.Message)}); retrying");
                consumer = null;
                try { await Task.Delay(TimeSpan.FromSeconds(1), stopPulling).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
                continue;
            }
            if (msg is { } m) await HandleAsync(m, abortJobs).ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(INatsJSMsg<byte[]> msg, CancellationToken abort)
    {
        JobSpec job;
        try { job = JobJson.Decode<JobSpec>(msg.Data ?? []); }
        catch (Exception e)
        {
            log($"dropping an unreadable job message: {e.Message}");
            await Quietly(() => msg.AckTerminateAsync().AsTask()).ConfigureAwait(false);
            return;
        }
        int attempt = (int)(msg.Metadata?.NumDelivered ?? 1);
        var known = await Retry(() => broker.GetStateAsync(job.Id, CancellationToken.None)).ConfigureAwait(false);
        if (known is { State: JobState.Done or JobState.Failed })
        {
            log($"job {job.Id}: already {known.State}; acknowledging the redelivery");
            await Quietly(() => msg.AckAsync().AsTask()).ConfigureAwait(false);
            return;
        }
        var state = (known ?? new JobState(job.Id, JobState.Queued, 0, null, Secrets.Redact(job.Input), null, [], default))
            with { State = JobState.Running, Attempts = attempt, Worker = name };
        await Retry(() => broker.PutStateAsync(state, CancellationToken.None)).ConfigureAwait(false);
        log($"job {job.Id}: attempt {attempt}: running {Secrets.Redact(job.Input)}");

        // Progress acks every third of the ack deadline keep a live job from being redelivered, however long it runs.
        using var running = new CancellationTokenSource();
        var progress = Task.Run(async () =>
        {
            var every = broker.Queue.AckWait / 3;
            while (!running.IsCancellationRequested)
            {
                try { await Task.Delay(every, running.Token).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
                await Quietly(() => msg.AckProgressAsync().AsTask()).ConfigureAwait(false);
            }
        });

        var dir = Path.Combine(Path.GetTempPath(), $"posetrack-job-{job.Id}-{Guid.NewGuid():N}");
        var outDir = Path.Combine(dir, "out");
        Directory.CreateDirectory(outDir);
        string? error;
        JobRunResult? result = null;
        try
        {
            var input = job.Input;
            if (job.InputObject is { } key)
            {
                input = Path.Combine(dir, Path.GetFileName(key));
                await broker.DownloadAsync(key, input, abort).ConfigureAwait(false);
            }
            result = await runner(job, input, outDir, abort).ConfigureAwait(false);
            error = result.ExitCode == 0 ? null : result.Error ?? $"the pipeline exited with code {result.ExitCode}";
            if (error is null && !abort.IsCancellationRequested)
            {
                // Outputs under the job's key: a rerun overwrites the same objects, never adds a second result.
                var keys = new List<string>();
                foreach (var file in result.Outputs)
                {
                    var okey = JobBroker.OutputKey(job.Id, file);
                    await Retry(() => broker.UploadAsync(okey, file, CancellationToken.None)).ConfigureAwait(false);
                    keys.Add(okey);
                }
                running.Cancel();
                await progress.ConfigureAwait(false);
                await Retry(() => broker.PutStateAsync(state with { State = JobState.Done, Error = null, Outputs = keys }, CancellationToken.None)).ConfigureAwait(false);
                await Quietly(() => msg.AckAsync().AsTask()).ConfigureAwait(false);
                log($"job {job.Id}: done ({keys.Count} outputs)");
                return;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !abort.IsCancellationRequested)
        {
            error = Secrets.Redact(e.Message);
        }
        catch (OperationCanceledException) { error = null; }
        finally
        {
            running.Cancel();
            await progress.ConfigureAwait(false);
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        if (abort.IsCancellationRequested)
        {
            // Second signal: hand the job back at once for another worker.
            await Quietly(() => broker.PutStateAsync(state with { State = JobState.Queued, Worker = null, Error = "handed back: worker stopped" }, CancellationToken.None)).ConfigureAwait(false);
            await Quietly(() => msg.NakAsync().AsTask()).ConfigureAwait(false);
            log($"job {job.Id}: handed back (nak)");
            return;
        }
        if (attempt >= broker.Queue.MaxDeliver)
        {
            await Retry(() => broker.PutStateAsync(state with { State = JobState.Failed, Error = error }, CancellationToken.None)).ConfigureAwait(false);
            await Quietly(() => msg.AckTerminateAsync().AsTask()).ConfigureAwait(false);
            log($"job {job.Id}: failed after {attempt} attempts: {error}");
        }
        else
        {
            await Retry(() => broker.PutStateAsync(state with { State = JobState.Queued, Worker = null, Error = error }, CancellationToken.None)).ConfigureAwait(false);
            await Quietly(() => msg.NakAsync(new AckOpts { NakDelay = broker.Queue.RetryDelay * attempt }).AsTask()).ConfigureAwait(false);
            log($"job {job.Id}: attempt {attempt} failed ({error}); retrying");
        }
    }

    /// <summary>Retries a broker call while the broker is away (a restart takes seconds), up to about two minutes.</summary>
    private async Task<T> Retry<T>(Func<Task<T>> call)
    {
        for (int i = 0; ; i++)
        {
            try { return await call().ConfigureAwait(false); }
            catch (Exception e) when (i < 120 && e is not OperationCanceledException)
            {
                if (i == 0) log($"broker call failed ({Secrets.Redact(e.Message)}); retrying");
                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
        }
    }

    private Task Retry(Func<Task> call) => Retry(async () => { await call().ConfigureAwait(false); return true; });

    private async Task Quietly(Func<Task> call)
    {
        try { await call().ConfigureAwait(false); }
        catch (Exception e) { log($"broker call failed: {Secrets.Redact(e.Message)}"); }
    }
}
