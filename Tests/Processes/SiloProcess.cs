using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pastanoodles.Tests.Processes;

/// <summary>A real <c>Pastanoodles.Silo</c> process on free loopback ports, started from the test's output folder.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _log = new();
    readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    SiloProcess(string dataDirectory)
    {
        (SiloPort, GatewayPort, DashboardPort) = (FreePort(), FreePort(), FreePort());
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "Pastanoodles.Silo.dll"), "--data", dataDirectory,
            "--port", $"{SiloPort}", "--gateway", $"{GatewayPort}", "--dashboard", DashboardUrl, $"--Silo:PrimarySiloPort={SiloPort}",
        })
            start.ArgumentList.Add(arg);
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

    /// <summary>Starts the silo and waits for Orleans' "Orleans Silo started." line.</summary>
    public static async Task<SiloProcess> StartAsync(string dataDirectory)
    {
        var silo = new SiloProcess(dataDirectory);
        silo._process.Start();
        silo._process.BeginOutputReadLine();
        silo._process.BeginErrorReadLine();
        try
        {
            await silo._started.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            await silo.DisposeAsync();
            throw new TimeoutException($"Phase 'silo process starts' did not finish within 90 s. Log:\n{silo.Log}");
        }
        return silo;
    }

    /// <summary>Ends the process at once (SIGKILL): state must already be on disk.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
