using System.CommandLine;
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
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"error: {ex.Message}");
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
            parseResult.InvocationConfiguration.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }

    /// <summary>Bad input, missing or unreadable files, wrong settings: things the user can fix.</summary>
    static bool IsUserError(Exception ex) =>
        ex is ArgumentException or BadRowException or IOException or InvalidDataException or NotSupportedException
            or InvalidOperationException or FormatException or UnauthorizedAccessException;
}
