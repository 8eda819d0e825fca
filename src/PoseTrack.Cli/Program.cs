using System.CommandLine;
using PoseTrack.Cli;
using PoseTrack.Cli.Commands;

FileSizeLimit.IgnoreSignal();
Interrupts.Install();
StandardStreams.EnsureOpen();
ParentWatch.Install();

var root = new RootCommand("PoseTrack: real-time multi-person pose tracking (detector → top-down pose → OKS tracker → annotated video + JSON lines)");
RunCommand.Configure(root);
root.Subcommands.Add(ImageCommand.Create());
root.Subcommands.Add(TrackCommand.Create());
root.Subcommands.Add(EvalCommands.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(BatchCommand.Create());
foreach (var jobs in JobCommands.Create()) root.Subcommands.Add(jobs);

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // Bad options are bad input: one line each, exit code 2 (System.CommandLine's own default is 1). The hint is
    // for a person at a terminal; a script reading stderr gets only the error line.
    foreach (var error in parse.Errors) CliErrors.Report(ParseErrors.Describe(error.Message));
    if (!Console.IsErrorRedirected) Console.Error.WriteLine("Run 'posetrack --help' for the options.");
    return CliErrors.BadInput;
}
// Ctrl+C is handled by the commands themselves (first press drains and finalises, second exits at once).
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
