using System.CommandLine;
using System.CommandLine.Parsing;

namespace PoseTrack.Cli;

/// <summary>
/// Options whose value is one of a few words (<c>--tracker oks|iou</c>, <c>--smooth on|off</c>), parsed by
/// System.CommandLine straight into the library's enum or a bool. The words are matched case-insensitively; a word
/// that is not one of them is a parse error, one line naming the option and the words it takes
/// ("--tracker: 'magic' is not one of oks, iou"), reported before any work like every other parse error.
/// </summary>
internal static class Choices
{
    /// <summary>
    /// An option taking one of <paramref name="words"/> (shown in help and errors) or one of <paramref name="aliases"/>
    /// (accepted, not advertised). The default comes from <paramref name="defaultValue"/>, which the callers take from
    /// the library's own option defaults.
    /// </summary>
    public static Option<T> Of<T>(string name, string description, Func<T> defaultValue,
        (string Word, T Value)[] words, (string Word, T Value)[]? aliases = null)
    {
        var all = words.Concat(aliases ?? []).ToArray();
        string listed = string.Join(", ", words.Select(w => w.Word));
        var option = new Option<T>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue(),
            Arity = ArgumentArity.ExactlyOne,
            HelpName = string.Join('|', words.Select(w => w.Word)),
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                foreach (var (word, value) in all)
                    if (string.Equals(word, text.Trim(), StringComparison.OrdinalIgnoreCase)) return value;
                result.AddError($"{name}: '{text}' is not one of {listed}");
                return default!;
            },
        };
        option.CompletionSources.Add(words.Select(w => w.Word).ToArray());
        return option;
    }

    /// <summary>
    /// An on/off option: on or off (true/yes and false/no also accepted, as before), read as a bool with
    /// <see cref="IsOn"/>. Not typed bool (or bool?) because System.CommandLine never lets a boolean option take a
    /// following word other than "true" or "false": <c>--smooth off</c> would leave "off" unmatched.
    /// </summary>
    public static Option<Switch> OnOff(string name, string description, Func<bool> defaultValue) =>
        Of(name, description, () => defaultValue() ? Switch.On : Switch.Off, [("on", Switch.On), ("off", Switch.Off)],
            [("true", Switch.On), ("yes", Switch.On), ("false", Switch.Off), ("no", Switch.Off)]);

    /// <summary>The value of an <see cref="OnOff"/> option as a bool.</summary>
    public static bool IsOn(this ParseResult r, Option<Switch> option) => r.GetValue(option) == Switch.On;
}

/// <summary>The value of an on/off option.</summary>
internal enum Switch
{
    Off,
    On,
}
