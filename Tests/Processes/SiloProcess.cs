using System.Diagnostics;
using System.Text;
using Pastanoodles.Tests.Support;
using Pastanoodles.Client;

namespace Pastanoodles.Tests.Processes;

/// <summary>A real <c>Pastanoodles.Silo</c> process on free loopback ports, started from the test's output folder.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _log = new();
    readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    SiloProcess(string dataDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        (SiloPort, GatewayPort, DashboardPort) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])
        [
            Path.Combine(AppContext.BaseDirectory, "Pastanoodles.Silo.dll"), "--data", dataDirectory,
            "--port", $"{SiloPort}", "--gateway", $"{GatewayPort}", "--dashboard", DashboardUrl, $"--Silo:PrimarySiloPort={SiloPort}",
            .. arguments,
        ])
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Exited += (_, _) => _started.TrySetException(new InvalidOperationException($"silo exited with code {_process.ExitCode} before it started:\n{Log}"));
        _process.EnableRaisingEvents = true;
    }

    public int SiloPort { get; }
    public int GatewayPort { get; }
    public int DashboardPort { get; }
    public string DashboardUrl => $"http://127.0.0.1:{DashboardPort}";

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>The process id, for killing it.</summary>
    public int ProcessId => _process.Id;

    /// <summary>True once the process has exited (or was killed).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once the process has exited; null while it runs.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Starts the silo and waits for Orleans' "Orleans Silo started." line. <paramref name="arguments"/> come after the
    /// ports and may override them; <paramref name="environment"/> is added to the process's environment.</summary>
    public static async Task<SiloProcess> StartAsync(string dataDirectory, IEnumerable<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var silo = new SiloProcess(dataDirectory, arguments ?? [], environment);
        silo._process.Start();
        silo._process.BeginOutputReadLine();
        silo._process.BeginErrorReadLine();
        try
        {
            // Each line the silo logs while it starts is progress.
            await silo._started.Task.Within("silo process starts", progress: () => silo.Log.Length);
        }
        catch (TimeoutException ex)
        {
            await silo.DisposeAsync();
            throw new TimeoutException($"{ex.Message} Log:\n{silo.Log}");
        }
        return silo;
    }

    /// <summary>Ends the process at once (SIGKILL), as a crash or a lost machine would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>SIGKILLs the silo process alone, leaving its children (training workers) to fend for themselves, as the kernel's
    /// out-of-memory killer would.</summary>
    public async Task KillAloneAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Ends the process at once (SIGKILL): state must already be on disk.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
        if (line.Contains("Orleans Silo started.", StringComparison.Ordinal))
            _started.TrySetResult();
    }
}
