using System.CommandLine;
using Pastanoodles.Client;
using Pastanoodles.Client.Commands;

namespace Pastanoodles.Tests.Support;

/// <summary>Runs the real `pastanoodles` command tree in-process, capturing stdout and stderr.</summary>
public static class Cli
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args) =>
        RunAsync((ClusterConnection.Connector?)null, args).GetAwaiter().GetResult();

    /// <summary>The same, with cluster commands talking to <paramref name="cluster"/> (a test cluster's client) instead of a gateway.</summary>
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(IClusterClient cluster, params string[] args) =>
        RunAsync((_, _) => Task.FromResult(ClusterConnection.Borrow(cluster)), args);

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(ClusterConnection.Connector? connect, params string[] args)
    {
        var root = new RootCommand();
        foreach (var command in CommandCatalog.All(connect)) root.Subcommands.Add(command);
        var (output, error) = (new StringWriter(), new StringWriter());
        var exitCode = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
