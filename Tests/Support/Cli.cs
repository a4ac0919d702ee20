using System.CommandLine;
using Pastanoodles.Client.Commands;

namespace Pastanoodles.Tests.Support;

/// <summary>Runs the real `pastanoodles` command tree in-process, capturing stdout and stderr.</summary>
public static class Cli
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var root = new RootCommand();
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
