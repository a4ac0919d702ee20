using System.CommandLine;
using Pastanoodles.Training;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Client.Commands;

/// <summary>Turns the errors a user can cause into one line on stderr and exit code 1; anything else is a bug and keeps its stack.</summary>
public static class CommandErrors
{
    public static async Task<int> RunAsync(ParseResult parseResult, Func<Task> run)
    {
        try
        {
            await run();
            return 0;
        }
        catch (Exception ex) when (IsUserError(ex))
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"error: {OneLine(ex)}");
            return 1;
        }
    }

    /// <summary>The same for a synchronous body that returns its own exit code.</summary>
    public static int Run(ParseResult parseResult, Func<int> run)
    {
        try
        {
            return run();
        }
        catch (Exception ex) when (IsUserError(ex))
        {
            parseResult.InvocationConfiguration.Error.WriteLine($"error: {OneLine(ex)}");
            return 1;
        }
    }

    /// <summary>libtorch's allocation failure carries its native stack after the first line; the first line says how much was asked for.</summary>
    static string OneLine(Exception ex) => IsOutOfMemory(ex)
        ? $"the model does not fit in memory: {ex.Message.Split('\n')[0].Trim()} ---> HINT: check hidden_size, intermediate_size and vocab_size in its config.json."
        : ex.Message;

    static bool IsOutOfMemory(Exception ex) =>
        ex is System.Runtime.InteropServices.ExternalException && ex.Message.Contains("can't allocate memory", StringComparison.Ordinal);

    /// <summary>Bad input, missing or unreadable files, wrong settings: things the user can fix.</summary>
    static bool IsUserError(Exception ex) => IsOutOfMemory(ex) ||
        ex is ArgumentException or BadRowException or IOException or InvalidDataException or NotSupportedException
            or InvalidOperationException or FormatException or UnauthorizedAccessException
            or TrainingDivergedException;   // the loss went NaN: the message names the step and the last good checkpoint
}
