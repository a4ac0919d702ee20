using System.Diagnostics;

namespace Pastanoodles.Client;

/// <summary>Starts a silo process on this machine for the quickstart, from the repository the console runs in.</summary>
/// <remarks>
/// The silo is built with <c>dotnet build Silo</c> (a no-op when it is up to date) and started as its own process, detached
/// from the console, so it keeps serving the dashboard after the quickstart ends. Its output goes to
/// <c>silo.log</c> in the data folder; <see cref="Started.Stop"/> ends it.
/// </remarks>
public static class LocalSilo
{
    /// <summary>A silo process this console started.</summary>
    public sealed record Started(int ProcessId, string LogFile)
    {
        public void Stop()
        {
            try { Process.GetProcessById(ProcessId).Kill(entireProcessTree: true); }
            catch (ArgumentException) { } // already gone
        }
    }

    /// <summary>The folder holding Pastanoodles.sln, found from the working directory or the console's own location.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Pastanoodles.sln")))
                    return dir.FullName;
        throw new FileNotFoundException(
            "Cannot find Pastanoodles.sln above the working directory or the console. Run the quickstart from the repository, " +
            "or start a silo yourself (`dotnet run --project Silo`) and run it again.");
    }

    public static async Task<Started> StartAsync(string dataDirectory, int gatewayPort, int siloPort, string dashboardUrl, TextWriter progress, CancellationToken cancellationToken)
    {
        var dll = await BuildAsync(progress, cancellationToken);
        Directory.CreateDirectory(dataDirectory);
        var started = await LaunchAsync(dll, dataDirectory, siloPort, gatewayPort, siloPort, dashboardUrl, Path.Combine(dataDirectory, "silo.log"), cancellationToken);
        await progress.WriteLineAsync($"started a local silo (pid {started.ProcessId}), log: {started.LogFile}");
        return started;
    }

    /// <summary>Builds the Silo project of this repository (a no-op when up to date); returns its dll.</summary>
    public static async Task<string> BuildAsync(TextWriter progress, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        await progress.WriteLineAsync("building the silo (the first time takes a minute) ...");
        var build = await RunAsync("dotnet", ["build", Path.Combine(root, "Silo", "Silo.csproj"), "-c", "Debug", "-v", "q", "-nologo"], root, cancellationToken);
        if (build.ExitCode != 0)
            throw new IOException($"`dotnet build Silo` failed (exit {build.ExitCode}):\n{build.Output}");
        return Path.Combine(root, "Silo", "bin", "Debug", "net10.0", "Pastanoodles.Silo.dll");
    }

    /// <summary>Starts one detached silo process; <paramref name="primaryPort"/> is the silo port of the localhost cluster's first silo.</summary>
    public static async Task<Started> LaunchAsync(string dll, string dataDirectory, int siloPort, int gatewayPort, int primaryPort, string dashboardUrl,
        string logFile, CancellationToken cancellationToken)
    {
        // setsid + nohup in the background: the silo gets its own session (Ctrl-C here does not reach it) and outlives
        // this console; $! is its pid, since setsid execs dotnet in place when it is not a group leader.
        var launch = await RunAsync("bash", ["-c",
            $"setsid nohup dotnet \"{dll}\" --data \"{dataDirectory}\" --gateway {gatewayPort} --port {siloPort} --Silo:PrimarySiloPort={primaryPort} " +
            $"--dashboard \"{dashboardUrl}\" > \"{logFile}\" 2>&1 < /dev/null & echo $!"],
            Path.GetDirectoryName(dll)!, cancellationToken);
        if (launch.ExitCode != 0 || !int.TryParse(launch.Output.Trim(), out var pid))
            throw new IOException($"Could not start the silo: {launch.Output}");
        return new Started(pid, logFile);
    }

    static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, string workingDirectory, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output + await error);
    }
}
