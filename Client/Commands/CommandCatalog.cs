using System.CommandLine;

namespace Pastanoodles.Client.Commands;

/// <summary>Every top-level command of the console, one noun each.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All() =>
    [
        ModelCommands.Create(),
        DataCommands.Create(),
        TrainCommands.Create(),
        CorpusCommands.Create(),
        EvalCommands.Create(),
        AskCommands.Create(),
        BenchCommands.Create(),
        ExperimentCommands.Create(),
        ClusterCommands.Create(),
        QuickstartCommands.Create(),
    ];
}
