using System.CommandLine;

namespace Pastanoodles.Client.Commands;

/// <summary>Every top-level command of the console, one noun each.</summary>
public static class CommandCatalog
{
    /// <param name="connect">How cluster commands connect; null: through a gateway (tests pass their test cluster's client).</param>
    public static IEnumerable<Command> All(ClusterConnection.Connector? connect = null) => WithClusterOption(
    [
        ModelCommands.Create(),
        DataCommands.Create(),
        TrainCommands.Create(),
        CorpusCommands.Create(connect),
        EvalCommands.Create(connect),
        AskCommands.Create(connect),
        BenchCommands.Create(),
        SweepCommands.AddTo(ExperimentCommands.Create(connect), connect),
        ClusterCommands.Create(connect),
        QuickstartCommands.Create(),
    ]);

    /// <summary>Gives every command that connects to a cluster (it has <c>--gateway</c>) the <c>--cluster</c> option too.</summary>
    static IEnumerable<Command> WithClusterOption(IEnumerable<Command> commands)
    {
        foreach (var command in commands)
        {
            if (command.Options.Any(o => o.Name == "--gateway"))
                command.Options.Add(ClusterCommandSupport.ClusterOption());
            yield return command;
        }
    }
}
