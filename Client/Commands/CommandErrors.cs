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
        catch (Exception ex) when (ex is ArgumentException or BadRowException or FileNotFoundException or DirectoryNotFoundException
                                       or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }
}
