using System.Diagnostics;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Processes;

/// <summary>Runs the real <c>pastanoodles</c> console as its own process, with its own environment, from the Client project's own output
/// folder (the build of this test run): the copy in the test's folder resolves the test host's dependency versions, not its own.</summary>
public static class ClientProcess
{
    static readonly string Folder = ClientFolder();

    static string ClientFolder()
    {
        var tests = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));   // Tests/bin/<configuration>/<framework>
        var folder = Path.Combine(tests.Parent!.Parent!.Parent!.Parent!.FullName, "Client", "bin", tests.Parent.Name, tests.Name);
        return File.Exists(Path.Combine(folder, "pastanoodles.dll")) ? folder
            : throw new FileNotFoundException($"No pastanoodles.dll in {folder}. ---> HINT: dotnet build Tests builds the Client project there.");
    }

    public static Task<(int ExitCode, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunAsync(environment, [], args);

    /// <summary>Runs the console under GNU time and returns its peak resident memory (the kernel's maxrss of the child, as VmHWM at
    /// exit), which the test host's own RSS cannot tell.</summary>
    public static async Task<(int ExitCode, string Output, string Error, long PeakRssBytes)> RunMeasuredAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        const string time = "/usr/bin/time", marker = "peak_rss_kb ";
        if (!File.Exists(time))
            throw new FileNotFoundException($"{time} is missing. ---> HINT: apt-get install time (GNU time measures a child's peak RSS).");
        var (exitCode, output, error) = await RunAsync(environment, [time, "-f", marker + "%M"], args);
        var line = error.Split('\n').Last(l => l.StartsWith(marker, StringComparison.Ordinal));
        return (exitCode, output, error, long.Parse(line[marker.Length..].Trim()) * 1024);
    }

    static async Task<(int ExitCode, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, string[] wrapper, string[] args)
    {
        var start = new ProcessStartInfo(wrapper.Length > 0 ? wrapper[0] : "dotnet") { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in wrapper.Skip(1).Append(wrapper.Length > 0 ? "dotnet" : null).OfType<string>())
            start.ArgumentList.Add(arg);
        start.ArgumentList.Add(Path.Combine(Folder, "pastanoodles.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var name in new[] { "PASTANOODLES_CLUSTER", "PASTANOODLES_TLS_CERTIFICATE", "PASTANOODLES_TLS_CA", "PASTANOODLES_REDIS_PASSWORD", "PASTANOODLES_REDIS_PASSWORD_FILE" })
            start.Environment.Remove(name);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // Progress: the console (and any child it runs under) keeps using CPU. A loaded machine slows it; a hung one stops it.
        await process.WaitForExitAsync().Within($"pastanoodles {string.Join(' ', args)} exits", stall: TimeSpan.FromSeconds(120),
            progress: () => ProcessTable.CpuSecondsOfTree(process.Id));
        return (process.ExitCode, await output, await error);
    }
}
