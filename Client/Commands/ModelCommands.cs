using System.CommandLine;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles model ...`: inspect model configurations and checkpoint folders.</summary>
public static class ModelCommands
{
    public static Command Create()
    {
        var model = new Command("model", "Inspect a model: parameters, adapters and weight bytes.");
        return model;
    }
}
