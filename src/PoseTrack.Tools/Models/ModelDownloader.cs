using System.Net;
using System.Net.Http.Headers;
using PoseTrack.Core;

namespace PoseTrack.Models;

/// <summary>Bytes received so far of a download (<see cref="Total"/> null when the server does not say).</summary>
internal readonly record struct DownloadProgress(long Received, long? Total, int Attempt);

/// <summary>A finished, verified download.</summary>
internal sealed record DownloadResult(string Path, string Sha256, long Bytes, int Attempts, bool Resumed, bool FromCache);

/// <summary>
/// Downloads one file over HTTP(S) into a cache folder: the bytes go to <c>FILE.part</c>; a failed or cut-off transfer is
/// retried (<see cref="MaxAttempts"/> tries in all), asking for the rest with a <c>Range</c> request when part of the file is
/// there; the finished file's sha256 is checked before it is renamed to its final name. A wrong sha256 deletes the partial
/// file; a transfer that still fails after the last try keeps it, so the next run resumes.
/// </summary>
internal sealed class ModelDownloader
{
    private static readonly Lazy<HttpClient> SharedClient = new(() =>
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = true,
        };
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("posetrack", typeof(ModelDownloader).Assembly.GetName().Version?.ToString(3) ?? "0"));
        return client;
    });

    private readonly HttpClient _client;

    /// <summary>Uses <paramref name="client"/>, or one shared client (30 s connect timeout, 2 min to the response headers).</summary>
    public ModelDownloader(HttpClient? client = null) => _client = client ?? SharedClient.Value;

    /// <summary>Tries in all, the first included.</summary>
    public int MaxAttempts { get; init; } = 3;
    /// <summary>Wait before the second try; doubled before each later one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>A transfer that receives nothing for this long is treated as broken (and retried).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Called with a line for each retry.</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Path of the partial file of <paramref name="destination"/>.</summary>
    public static string PartPath(string destination) => destination + ".part";

    /// <summary>
    /// Downloads <paramref name="url"/> to <paramref name="destination"/> and checks it against <paramref name="expectedSha256"/>
    /// (null: not checked; the result's sha256 is what was received). A file already at <paramref name="destination"/> whose
    /// sha256 is the expected one is used as it is.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(Uri url, string destination, string? expectedSha256, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        destination = Path.GetFullPath(destination);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        if (File.Exists(destination) && expectedSha256 is not null)
        {
            var cached = ModelVerifier.Sha256OfFile(destination);
            if (cached.Equals(expectedSha256, StringComparison.OrdinalIgnoreCase))
                return new DownloadResult(destination, cached, new FileInfo(destination).Length, 0, false, true);
            ManifestWriter.TryDelete(destination); // stale or damaged copy: fetch again
        }

        var part = PartPath(destination);
        bool resumed = false;
        Exception? last = null;
        int attempt = 0;
        for (attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                resumed |= await TransferAsync(url, part, attempt, progress, ct).ConfigureAwait(false);
                last = null;
                break;
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                last = e;
                if (attempt == MaxAttempts) break;
                var have = File.Exists(part) ? new FileInfo(part).Length : 0;
                Warn?.Invoke($"download of {url} failed (try {attempt} of {MaxAttempts}: {Describe(e)}); " +
                             (have > 0 ? $"resuming from byte {have}" : "retrying"));
                var delay = RetryDelay * Math.Pow(2, attempt - 1);
                if (delay > TimeSpan.Zero) await Task.Delay(delay, ct).ConfigureAwait(false);
            }
        }
        if (last is not null)
        {
            var have = File.Exists(part) ? new FileInfo(part).Length : 0;
            throw new PoseTrackException($"download of {url} failed after {MaxAttempts} tries: {Describe(last)}" +
                                         (have > 0 ? $" ({have} bytes kept in {part}; run the command again to resume)" : ""), inner: last);
        }

        string sha;
        try { sha = ModelVerifier.Sha256OfFile(part); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new PoseTrackException($"cannot read the download {part}: {e.Message}", inner: e); }
        if (expectedSha256 is not null && !sha.Equals(expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            ManifestWriter.TryDelete(part);
            throw new PoseTrackException($"download of {url} is not the expected file: sha256 {sha}, expected {expectedSha256} (the download was deleted)");
        }
        var bytes = new FileInfo(part).Length;
        try { File.Move(part, destination, overwrite: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new PoseTrackException($"cannot move the download to {destination}: {e.Message}", inner: e); }
        return new DownloadResult(destination, sha, bytes, attempt, resumed, false);
    }

    /// <summary>One request: appends to <paramref name="part"/> from where it ends (Range) or rewrites it. Returns true when it resumed.</summary>
    private async Task<bool> TransferAsync(Uri url, string part, int attempt, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);

        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // The partial file is as long as (or longer than) the resource: start again from nothing.
            ManifestWriter.TryDelete(part);
            throw new IOException($"the server refused to resume at byte {have} (HTTP 416); starting again");
        }
        if (!response.IsSuccessStatusCode)
        {
            var code = (int)response.StatusCode;
            var text = $"HTTP {code} {response.ReasonPhrase}";
            if (code is >= 500 or 408 or 429) throw new HttpRequestException(text, null, response.StatusCode);
            throw new PoseTrackException($"download of {url} failed: {text}");
        }

        bool resume = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
        if (resume && response.Content.Headers.ContentRange?.From is { } from && from != have)
        {
            ManifestWriter.TryDelete(part);
            throw new IOException($"the server resumed at byte {from}, not {have}; starting again");
        }
        if (!resume) have = 0; // a plain 200 sends the whole file
        long? total = response.Content.Headers.ContentLength is { } len ? len + have : null;

        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using var file = new FileStream(part, resume ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        long received = have;
        progress?.Report(new DownloadProgress(received, total, attempt));
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        while (true)
        {
            stall.CancelAfter(StallTimeout);
            int n;
            try { n = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            { throw new TimeoutException($"no data for {StallTimeout.TotalSeconds:F0} s"); }
            if (n == 0) break;
            await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            received += n;
            progress?.Report(new DownloadProgress(received, total, attempt));
        }
        await file.FlushAsync(ct).ConfigureAwait(false);
        if (total is { } t && received < t)
            throw new IOException($"the connection closed after {received} of {t} bytes");
        return resume;
    }

    private static bool IsTransient(Exception e, CancellationToken ct) =>
        !ct.IsCancellationRequested && e is HttpRequestException or IOException or TimeoutException
            or TaskCanceledException; // HttpClient.Timeout surfaces as TaskCanceledException

    private static string Describe(Exception e) => e switch
    {
        TaskCanceledException => "timed out",
        HttpRequestException { InnerException: { } inner } h when h.StatusCode is null && !h.Message.Contains(inner.Message, StringComparison.Ordinal)
            => $"{h.Message} ({inner.Message})",
        _ => e.Message,
    };
}
