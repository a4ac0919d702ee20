using System.Text.RegularExpressions;
using Pastanoodles.Tests.Support;
using Xunit.Abstractions;
using Pastanoodles.Client;

namespace Pastanoodles.Tests.Processes;

/// <summary>`pastanoodles quickstart` as a user runs it: it builds and starts its own silo process, then drives it.</summary>
public sealed class QuickstartTests(ITestOutputHelper testOutput)
{
    [Fact]
    public void Quickstart_starts_a_silo_trains_tiny_plots_and_answers_with_sources()
    {
        using var duration = new TestDuration(testOutput);
        using var data = new TempDir();
        var (gateway, silo, dashboard) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        var (code, output, error) = Cli.Run("quickstart", "--data", data.Path, "--questions", "1",
            "--gateway", $"{gateway}", "--silo-port", $"{silo}", "--dashboard", $"http://127.0.0.1:{dashboard}");
        var pid = Regex.Match(output, @"started a local silo \(pid (\d+)\)");
        try
        {
            Assert.True(code == 0, $"exit {code}\n{error}\n{output}\nsilo log:\n{ReadLog(data)}");
            Assert.True(pid.Success, output);
            Assert.Matches(@"test reward accuracy\s+0\.\d+", output);
            var accuracy = double.Parse(Regex.Match(output, @"test reward accuracy\s+(0\.\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(accuracy >= 0.85, $"test reward accuracy {accuracy}");
            Assert.Matches(@"answer: [A-D]", output);
            Assert.Contains("cs/hash-tables.pdf", output);
            Assert.True(File.Exists(Path.Combine(data.Path, "quickstart-plots", "accuracy.png")));
            Assert.Contains($"http://127.0.0.1:{dashboard}", output);
        }
        finally
        {
            if (pid.Success)
                try { System.Diagnostics.Process.GetProcessById(int.Parse(pid.Groups[1].Value)).Kill(entireProcessTree: true); }
                catch (ArgumentException) { }
        }
    }

    static string ReadLog(TempDir data) => File.Exists(data["silo.log"]) ? File.ReadAllText(data["silo.log"]) : "(no silo.log)";
}
