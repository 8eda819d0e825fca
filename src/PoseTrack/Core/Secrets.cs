using System.Text.RegularExpressions;

namespace PoseTrack.Core;

/// <summary>
/// Keeps credentials out of what people and files see: the password of a URL's user part
/// (<c>rtsp://user:***@host/…</c>) and the values of query parameters that carry secrets (<c>?token=***</c>).
/// Applied wherever an input, model source or broker address reaches a message, a log line or an output.
/// </summary>
internal static partial class Secrets
{
    /// <summary>
    /// <paramref name="text"/> with every URL password and secret query value replaced by <c>***</c>. Text without
    /// URLs comes back unchanged (the same instance).
    /// </summary>
    public static string Redact(string text)
    {
        if (string.IsNullOrEmpty(text) || !text.Contains("://", StringComparison.Ordinal)) return text;
        var redacted = UserPassword().Replace(text, "$1***@");
        return SecretQuery().Replace(redacted, "$1***");
    }

    // scheme://user:password@ — the password runs to the last '@' before the host part ends (it may itself hold '@').
    [GeneratedRegex(@"([A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:)[^\s/]*@")]
    private static partial Regex UserPassword();

    [GeneratedRegex(@"([?&](?:password|passwd|pwd|pass|token|access_token|secret|key|api_key|apikey|auth|signature|sig)=)[^&\s#]*", RegexOptions.IgnoreCase)]
    private static partial Regex SecretQuery();
}
