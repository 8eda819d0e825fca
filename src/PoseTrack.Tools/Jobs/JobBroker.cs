using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using NATS.Client.ObjectStore;
using NATS.Net;
using PoseTrack.Core;

namespace PoseTrack.Jobs;

/// <summary>How the work queue behaves: the ack deadline, retries and their spacing.</summary>
internal sealed record JobQueueOptions
{
    /// <summary>
    /// Ack deadline: a job not acknowledged (nor progress-acked) within it is redelivered. Short, so a killed worker's
    /// job moves on quickly; a live worker sends progress acks every third of it, so a long job is never redelivered.
    /// </summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries before a job counts as failed.</summary>
    public int MaxDeliver { get; init; } = 3;

    /// <summary>Delay before a failed attempt is retried (grows with the attempt number).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The JetStream side of the jobs: a work-queue stream of job messages (msg id = job id, so a second submit of the
/// same id is dropped by the server), one durable pull consumer shared by every worker, a key-value bucket of job
/// states and an Object Store bucket for uploaded inputs and results. Creates what is missing.
/// </summary>
internal sealed partial class JobBroker : IAsyncDisposable
{
    public const string Stream = "POSETRACK_JOBS";
    public const string Subject = "posetrack.jobs";
    public const string Consumer = "posetrack-workers";
    public const string StateBucket = "posetrack_jobs";
    public const string FileBucket = "posetrack_files";

    private readonly NatsClient _client;
    public INatsJSContext JetStream { get; }
    public INatsKVStore States { get; private set; } = null!;
    public INatsObjStore Files { get; private set; } = null!;
    public JobQueueOptions Queue { get; }

    /// <summary>The broker address with any password hidden: what messages may show.</summary>
    public string DisplayUrl { get; }

    private JobBroker(NatsClient client, string displayUrl, JobQueueOptions queue)
    {
        _client = client;
        JetStream = client.CreateJetStreamContext();
        DisplayUrl = displayUrl;
        Queue = queue;
    }

    /// <summary>
    /// Connects to <paramref name="url"/> (<c>nats://[user:password@]host:port</c>, <c>tls://</c> for TLS; or a
    /// credentials file) and makes sure the stream, consumer and buckets exist.
    /// </summary>
    public static async Task<JobBroker> ConnectAsync(string url, string? credsFile, JobQueueOptions? queue, CancellationToken ct)
    {
        var opts = BuildOptions(url, credsFile);
        var broker = new JobBroker(new NatsClient(opts), Secrets.Redact(url), queue ?? new JobQueueOptions());
        try
        {
            try { await broker._client.ConnectAsync().ConfigureAwait(false); }
            catch (NatsException e)
            {
                var reason = e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
                throw new PoseTrackException($"cannot connect to the broker {broker.DisplayUrl}: {Secrets.Redact(reason)}");
            }
            await broker.EnsureAsync(ct).ConfigureAwait(false);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Client options for <paramref name="url"/>: the user part becomes the auth options, never part of a logged address.</summary>
    internal static NatsOpts BuildOptions(string url, string? credsFile)
    {
        if (!Uri.TryCreate(url.Contains("://", StringComparison.Ordinal) ? url : "nats://" + url, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("nats" or "tls" or "ws" or "wss"))
            throw new PoseTrackException($"--nats: expected nats://[user:password@]host[:port] or tls://… (got '{Secrets.Redact(url)}')");
        var auth = NatsAuthOpts.Default;
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            auth = parts.Length == 2
                ? auth with { Username = Uri.UnescapeDataString(parts[0]), Password = Uri.UnescapeDataString(parts[1]) }
                : auth with { Token = Uri.UnescapeDataString(parts[0]) };
        }
        if (credsFile is not null)
        {
            if (!File.Exists(credsFile)) throw new PoseTrackException($"--nats-creds: no such file: {credsFile}");
            auth = auth with { CredsFile = credsFile };
        }
        var bare = new UriBuilder(uri) { UserName = "", Password = "" }.Uri.GetLeftPart(UriPartial.Authority);
        return NatsOpts.Default with
        {
            Url = bare,
            AuthOpts = auth,
            Name = "posetrack",
            TlsOpts = uri.Scheme == "tls" ? NatsOpts.Default.TlsOpts with { Mode = TlsMode.Require } : NatsOpts.Default.TlsOpts,
            // Keep reconnecting for ever (a broker restart must not end a worker), at most 2 s apart.
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(250),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),
        };
    }

    private async Task EnsureAsync(CancellationToken ct)
    {
        await JetStream.CreateOrUpdateStreamAsync(new StreamConfig(Stream, [Subject])
        {
            Retention = StreamConfigRetention.Workqueue,
            Storage = StreamConfigStorage.File,
            // A second submit of a job id within this window is dropped by the server (submit also checks the state bucket).
            DuplicateWindow = TimeSpan.FromDays(1),
        }, ct).ConfigureAwait(false);
        await JetStream.CreateOrUpdateConsumerAsync(Stream, ConsumerConfigFor(Queue), ct).ConfigureAwait(false);
        var kv = _client.CreateKeyValueStoreContext();
        States = await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(StateBucket) { History = 5, Storage = NatsKVStorageType.File }, ct).ConfigureAwait(false);
        var obj = _client.CreateObjectStoreContext();
        Files = await obj.CreateObjectStoreAsync(new NatsObjConfig(FileBucket) { Storage = NatsObjStorageType.File }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The shared pull consumer: explicit acks, <see cref="JobQueueOptions.AckWait"/> as the deadline, at most
    /// <see cref="JobQueueOptions.MaxDeliver"/> deliveries, and a backoff for redeliveries after missed deadlines
    /// (the first equals the ack wait, the next ones double).
    /// </summary>
    internal static ConsumerConfig ConsumerConfigFor(JobQueueOptions q)
    {
        // The server wants fewer backoff steps than deliveries: one per redelivery.
        var backoff = Enumerable.Range(0, q.MaxDeliver - 1).Select(i => q.AckWait * (1 << Math.Min(i, 4))).ToArray();
        return new ConsumerConfig(Consumer)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = q.AckWait,
            MaxDeliver = q.MaxDeliver,
            Backoff = backoff.Length > 0 ? backoff : null,
            MaxAckPending = 1000,
            FilterSubject = Subject,
        };
    }

    public Task<INatsJSConsumer> ConsumerAsync(CancellationToken ct) => JetStream.GetConsumerAsync(Stream, Consumer, ct).AsTask();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IdPattern();

    public static string CheckId(string id) => IdPattern().IsMatch(id) ? id
        : throw new PoseTrackException($"--job-id must be 1–64 letters, digits, '-' or '_' (got '{id}')");

    public static string NewId() => "j-" + Guid.NewGuid().ToString("N")[..12];

    public static string InputKey(string id, string file) => $"jobs/{id}/input/{Path.GetFileName(file)}";
    public static string OutputKey(string id, string file) => $"jobs/{id}/output/{Path.GetFileName(file)}";

    public async Task<JobState?> GetStateAsync(string id, CancellationToken ct)
    {
        try
        {
            var e = await States.GetEntryAsync<byte[]>(id, cancellationToken: ct).ConfigureAwait(false);
            return e.Value is { } v ? JobJson.Decode<JobState>(v) : null;
        }
        catch (NatsKVKeyNotFoundException) { return null; }
        catch (NatsKVKeyDeletedException) { return null; }
    }

    public async Task PutStateAsync(JobState state, CancellationToken ct) =>
        await States.PutAsync(state.Id, JobJson.Encode(state with { Updated = DateTimeOffset.UtcNow }), cancellationToken: ct).ConfigureAwait(false);

    /// <summary>Records a new job as queued; false when the id is already known (nothing changed).</summary>
    public async Task<bool> TryCreateStateAsync(JobState state, CancellationToken ct)
    {
        try
        {
            await States.CreateAsync(state.Id, JobJson.Encode(state with { Updated = DateTimeOffset.UtcNow }), cancellationToken: ct).ConfigureAwait(false);
            return true;
        }
        catch (NatsKVCreateException) { return false; }
    }

    public async Task<List<JobState>> ListAsync(CancellationToken ct)
    {
        var list = new List<JobState>();
        try
        {
            await foreach (var key in States.GetKeysAsync(cancellationToken: ct).ConfigureAwait(false))
                if (await GetStateAsync(key, ct).ConfigureAwait(false) is { } s) list.Add(s);
        }
        catch (NatsKVException) { /* empty bucket */ }
        return list.OrderBy(s => s.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Publishes the job with its id as the message id: the server drops a second publish of the same id.</summary>
    public async Task<bool> PublishAsync(JobSpec job, CancellationToken ct)
    {
        var ack = await JetStream.PublishAsync(Subject, JobJson.Encode(job), opts: new NatsJSPubOpts { MsgId = job.Id }, cancellationToken: ct).ConfigureAwait(false);
        ack.EnsureSuccess();
        return !ack.Duplicate;
    }

    public async Task UploadAsync(string key, string file, CancellationToken ct)
    {
        await using var stream = File.OpenRead(file);
        await Files.PutAsync(key, stream, cancellationToken: ct).ConfigureAwait(false);
    }

    public async Task DownloadAsync(string key, string file, CancellationToken ct)
    {
        await using (var stream = File.Create(file))
            await Files.GetAsync(key, stream, cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Jobs whose last allowed attempt never answered (its worker died on it): the server announces them with a
    /// max-deliveries advisory and delivers them no more. Each is recorded failed and removed from the queue, so
    /// <c>jobs wait</c> does not wait for it for ever. Every worker listens; the updates are the same, so any may win.
    /// </summary>
    public async Task WatchLostJobsAsync(Action<string> log, CancellationToken ct)
    {
        try
        {
            await foreach (var advisory in _client.SubscribeAsync<byte[]>($"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{Stream}.{Consumer}", cancellationToken: ct).ConfigureAwait(false))
            {
                try
                {
                    using var doc = JsonDocument.Parse(advisory.Data ?? []);
                    ulong seq = doc.RootElement.GetProperty("stream_seq").GetUInt64();
                    long deliveries = doc.RootElement.TryGetProperty("deliveries", out var d) ? d.GetInt64() : Queue.MaxDeliver;
                    var reply = await _client.RequestAsync<byte[], byte[]>($"$JS.API.STREAM.MSG.GET.{Stream}", Encoding.UTF8.GetBytes($"{{\"seq\":{seq}}}"), cancellationToken: ct).ConfigureAwait(false);
                    using var got = JsonDocument.Parse(reply.Data ?? []);
                    if (!got.RootElement.TryGetProperty("message", out var message)) continue;
                    var job = JobJson.Decode<JobSpec>(Convert.FromBase64String(message.GetProperty("data").GetString() ?? ""));
                    if (await GetStateAsync(job.Id, ct).ConfigureAwait(false) is { Open: true } state)
                    {
                        var error = $"attempt {deliveries} of {deliveries} did not finish (its worker stopped or died)" + (state.Error is { } e ? $"; before: {e}" : "");
                        await PutStateAsync(state with { State = JobState.Failed, Error = error }, ct).ConfigureAwait(false);
                        log($"job {job.Id}: failed: {error}");
                    }
                    await JetStream.DeleteMessageAsync(Stream, new StreamMsgDeleteRequest { Seq = seq }, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException) { log($"max-deliveries advisory: {Secrets.Redact(e.Message)}"); }
            }
        }
        catch (OperationCanceledException) { }
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
