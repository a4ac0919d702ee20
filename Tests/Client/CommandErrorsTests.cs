using Pastanoodles.Client.Commands;
using Pastanoodles.Cluster;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Client;

/// <summary>The console's one error policy: user errors are one line with exit code 1, a cluster that did not answer exit code 3,
/// and a bug (InvalidOperationException included) is not caught, so it keeps its stack.</summary>
public class CommandErrorsTests
{
    public static TheoryData<Exception, int?> Cases => new()
    {
        { new ArgumentException("k is 0. k must be 1 or more."), 1 },
        { new FileNotFoundException("x.json does not exist."), 1 },
        { new InvalidDataException("bad tensor"), 1 },
        { new BadRowException("f.jsonl", 3, "answer", "is 9"), 1 },
        { new System.Text.Json.JsonException("bad json"), 1 },
        { new ExperimentNotFoundException("run-1"), 1 },
        { new ExperimentNotCompletedException("run-1", "cancelled"), 1 },
        { new TimeoutException("no answer"), CommandErrors.ClusterDidNotAnswer },
        { new InvalidOperationException("Sequence contains more than one element"), null },
        { new NullReferenceException(), null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_exception_has_one_exit_code_or_keeps_its_stack(Exception ex, int? exitCode)
    {
        var error = CommandErrors.Classify(ex);
        Assert.Equal(exitCode, error?.ExitCode);
        if (exitCode == 1)
            Assert.Equal($"error: {ex.Message}", error!.Value.Line);
    }
}
