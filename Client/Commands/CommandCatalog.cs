using System.CommandLine;

namespace Pastanoodles.Client.Commands;

/// <summary>Every top-level command of the console, one noun each.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All() => WithClusterOption(
    [
        ModelCommands.Create(),
        DataCommands.Create(),
        TrainCommands.Create(),
        CorpusCommands.Create(),
        EvalCommands.Create(),
        AskCommands.Create(),
        BenchCommands.Create(),
        SweepCommands.AddTo(ExperimentCommands.Create()),
        ClusterCommands.Create(),
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
