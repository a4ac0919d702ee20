using System.CommandLine;
using Pastanoodles.Cluster;
using Spectre.Console;

namespace Pastanoodles.Client.Commands;

/// <summary>What the cluster commands share: the <c>--gateway</c> option, connecting, console output and error reporting.</summary>
static class ClusterCommandSupport
{
    public static Option<int> GatewayOption() => new("--gateway")
    {
        Description = "Gateway port of a silo on this machine.",
        DefaultValueFactory = _ => new ClusterAddress().GatewayPort,
        Recursive = true,
    };

    /// <summary><c>--cluster</c>: added by <see cref="CommandCatalog"/> to every command that has <c>--gateway</c>.</summary>
    public static Option<string?> ClusterOption() => new("--cluster")
    {
        Description = $"localhost (a silo on this machine, see --gateway) or redis://host:port (a cluster over Redis). Default: ${ClusterAddress.ClusterVariable}, else localhost.",
        Recursive = true,
    };

    /// <summary>The address the parsed command line names: <c>--gateway</c>, <c>--cluster</c> or <c>PASTANOODLES_CLUSTER</c>.</summary>
    public static ClusterAddress AddressOf(ParseResult parseResult, Option<int> gateway)
    {
        string? cluster = null;
        for (var result = parseResult.CommandResult; result is not null && cluster is null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (result.Command.Options.FirstOrDefault(o => o.Name == "--cluster") is Option<string?> option)
                cluster = parseResult.GetValue(option);
        }
        cluster ??= Environment.GetEnvironmentVariable(ClusterAddress.ClusterVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : "localhost";
        TimeSpan? timeout = null;
        if (Environment.GetEnvironmentVariable(ClusterAddress.ResponseTimeoutVariable) is { Length: > 0 } seconds)
            timeout = double.TryParse(seconds, System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? TimeSpan.FromSeconds(s)
                : throw new ArgumentException($"{ClusterAddress.ResponseTimeoutVariable} is '{seconds}'. It must be a number of seconds greater than 0.");
        return new ClusterAddress(parseResult.GetValue(gateway), Cluster: cluster, ResponseTimeout: timeout);
    }

    /// <summary>Connects and runs <paramref name="run"/>; errors are reported by <see cref="CommandErrors"/> (bad input and an unreachable
    /// cluster: exit code 1; a cluster that did not answer: 3).</summary>
    public static Task<int> WithClusterAsync(ParseResult parseResult, ClusterConnection.Connector connect, Option<int> gateway,
        CancellationToken cancellationToken, Func<IClusterClient, IAnsiConsole, Task<int>> run) =>
        CommandErrors.RunAsync(parseResult, async () =>
        {
            var address = AddressOf(parseResult, gateway);
            await using var connection = await connect(address, cancellationToken);
            return await run(connection.Client, ConsoleFor(parseResult));
        });

    /// <summary>Spectre output on the invocation's writer, so tests can read it; the real console when it is the process's stdout.</summary>
    static IAnsiConsole ConsoleFor(ParseResult parseResult)
    {
        var output = parseResult.InvocationConfiguration.Output;
        if (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected)
            return AnsiConsole.Console;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;   // a file or pipe has no width; keep run ids and paths on one line
        return console;
    }
}
