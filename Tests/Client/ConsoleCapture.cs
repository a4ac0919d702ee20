using System.CommandLine;
using Pastanoodles.Client.Commands;

namespace Pastanoodles.Tests.Client;

/// <summary>Tests that swap Console.Out/Error run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}

/// <summary>Runs the pastanoodles command line in process and returns its exit code, stdout and stderr.</summary>
public static class ConsoleCapture
{
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var command in CommandCatalog.All())
            root.Subcommands.Add(command);
        var (oldOut, oldError) = (Console.Out, Console.Error);
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var code = root.Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }
}
