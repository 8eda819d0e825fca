namespace PoseTrack.Tests;

/// <summary>The README's library snippet is the LibraryUsage sample, which the solution compiles.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void LibrarySnippet_IsTheCompiledSample()
    {
        var readme = File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md")).ReplaceLineEndings("\n");
        var sample = File.ReadAllText(Path.Combine(TestData.RepoRoot, "samples", "LibraryUsage", "Program.cs")).ReplaceLineEndings("\n");
        Assert.Contains("```csharp\n" + sample + "```", readme);
    }
}
