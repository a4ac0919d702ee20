using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pastanoodles.Tests.Processes;

/// <summary>A throwaway <c>redis-server</c> (Debian's package) on a free loopback port, with no persistence, in a temp folder.</summary>
/// <remarks>The tests never use a system Redis service: each starts its own and kills it on dispose.</remarks>
public sealed class RedisServer : IAsyncDisposable
{
    readonly Process _process;
    readonly string _directory;
    readonly StringBuilder _log = new();

    RedisServer(Process process, string directory, int port) => (_process, _directory, Port) = (process, directory, port);

    public int Port { get; }

    /// <summary>The <c>--cluster</c> value for silos and clients.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>Starts redis-server and waits until it answers PING. Fails with an install hint when redis-server is missing.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var executable = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("redis-server is not installed, so the Redis cluster tests cannot run. " +
                "---> HINT: apt-get update && apt-get install -y redis-server (.ci/run does this before the tests).");
        var directory = Directory.CreateTempSubdirectory("pastanoodles-redis-").FullName;
        var port = SiloProcess.FreePort();
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var arg in new[] { "--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory })
            start.ArgumentList.Add(arg);
        var server = new RedisServer(new Process { StartInfo = start }, directory, port);
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await server.PingAsync())
        {
            if (server._process.HasExited || DateTime.UtcNow > deadline)
            {
                var log = server.Log;
                await server.DisposeAsync();
                throw new InvalidOperationException($"redis-server on port {port} did not answer PING within 15 s. Its log:\n{log}");
            }
            await Task.Delay(50);
        }
        return server;
    }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    void Append(string? line)
    {
        if (line is not null)
            lock (_log) _log.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
