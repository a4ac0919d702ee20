using System.CommandLine;
using System.Text.Json;
using Pastanoodles.Cluster;
using Pastanoodles.Training;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Client.Commands;

/// <summary>The console's one error policy: which exceptions a user can cause (one line on stderr, exit code 1), which mean the
/// cluster did not answer (one line with what to do, exit code 3), and everything else, which is a bug and keeps its stack.</summary>
/// <remarks><see cref="InvalidOperationException"/> is not a user error: .NET throws it for bugs (a collection changed while
/// enumerated, a missing element in <c>Single</c>), so code that rejects a user's input throws one of the types below.</remarks>
public static class CommandErrors
{
    /// <summary>Exit code for a cluster that did not answer in time (a silo died under the call).</summary>
    public const int ClusterDidNotAnswer = 3;

    /// <summary>The exit code and stderr line for <paramref name="ex"/>, or null when it is a bug that must show its stack.</summary>
    public static (int ExitCode, string Line)? Classify(Exception ex) => ex switch
    {
        _ when IsOutOfMemory(ex) => (1, $"error: the model does not fit in memory: {ex.Message.Split('\n')[0].Trim()} " +
            "---> HINT: check hidden_size, intermediate_size and vocab_size in its config.json."),
        ArgumentException or BadRowException or IOException or InvalidDataException or NotSupportedException or FormatException
            or UnauthorizedAccessException or JsonException or ClusterUnreachableException or ClusterRefusedException or RedisAuthenticationException or ExperimentNotFoundException
            or ExperimentConflictException or ExperimentNotCompletedException
            or TrainingDivergedException =>   // the loss went NaN: the message names the step and the last good checkpoint
            (1, $"error: {ex.Message}"),
        TimeoutException or SiloUnavailableException or OrleansMessageRejectionException => (ClusterDidNotAnswer,
            $"error: the cluster did not answer ({ex.GetType().Name}: {ex.Message.Split('\n')[0]}). A silo may have just died; " +
            "its grains come back on the other silos within seconds, so run the command again."),
        _ => null,
    };

    /// <summary>libtorch's allocation failure carries its native stack after the first line; the first line says how much was asked for.</summary>
    static bool IsOutOfMemory(Exception ex) =>
        ex is System.Runtime.InteropServices.ExternalException && ex.Message.Contains("can't allocate memory", StringComparison.Ordinal);

    public static async Task<int> RunAsync(ParseResult parseResult, Func<Task> run) =>
        await RunAsync(parseResult, async () =>
        {
            await run();
            return 0;
        });

    /// <summary>Runs <paramref name="run"/> and returns its exit code, or reports a classified error.</summary>
    public static async Task<int> RunAsync(ParseResult parseResult, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception ex) when (Classify(ex) is { } error)
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync(error.Line);
            return error.ExitCode;
        }
    }

    /// <summary>The same for a synchronous body that returns its own exit code.</summary>
    public static int Run(ParseResult parseResult, Func<int> run)
    {
        try
        {
            return run();
        }
        catch (Exception ex) when (Classify(ex) is { } error)
        {
            parseResult.InvocationConfiguration.Error.WriteLine(error.Line);
            return error.ExitCode;
        }
    }
}
