using System.Text.RegularExpressions;

namespace PoseTrack.Cli;

/// <summary>
/// System.CommandLine says "Cannot parse argument 'abc' for option '--max-frames' as expected type
/// 'System.Nullable`1[System.Int64]'"; the user wants the option and what it takes in words:
/// "--max-frames: 'abc' is not a whole number".
/// </summary>
internal static partial class ParseErrors
{
    public static string Describe(string message)
    {
        var m = CannotParse().Match(message);
        if (!m.Success) return message;
        string value = m.Groups["value"].Value, name = m.Groups["name"].Value, type = m.Groups["type"].Value;
        var nullable = NullableOf().Match(type);
        if (nullable.Success) type = nullable.Groups[1].Value;
        string? wants = type switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.UInt64" or "System.Byte" => "a whole number",
            "System.Single" or "System.Double" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.TimeSpan" => "a time span (e.g. 00:00:30)",
            _ => null,
        };
        if (wants is null)
        {
            // Enums and other types: their last name, without the namespace.
            int dot = type.LastIndexOf('.');
            wants = "a " + (dot >= 0 ? type[(dot + 1)..] : type);
        }
        return $"{name}: '{value}' is not {wants}";
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?:option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^System\.Nullable`1\[(.+)\]$")]
    private static partial Regex NullableOf();
}
