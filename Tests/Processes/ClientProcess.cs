using System.Diagnostics;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Processes;

/// <summary>Runs the real <c>pastanoodles</c> console as its own process (from the test's output folder), with its own environment.</summary>
public static class ClientProcess
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pastanoodles.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var name in new[] { "PASTANOODLES_CLUSTER", "PASTANOODLES_TLS_CERTIFICATE", "PASTANOODLES_TLS_CA", "PASTANOODLES_REDIS_PASSWORD", "PASTANOODLES_REDIS_PASSWORD_FILE" })
            start.Environment.Remove(name);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().Within($"pastanoodles {string.Join(' ', args)} exits", timeout: TimeSpan.FromSeconds(120));
        return (process.ExitCode, await output, await error);
    }
}
