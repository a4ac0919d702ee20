using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pastanoodles.Tests.Processes;

/// <summary>A throwaway <c>redis-server</c> locked as the deploy files lock theirs: <c>requirepass</c>, protected mode, and an ACL user;
/// no persistence, so <see cref="RestartEmptyAsync"/> brings it back on the same port with nothing in it (a store that lost its data).</summary>
/// <remarks>Beside <see cref="RedisServer"/> (the open one most tests use), not instead of it.</remarks>
public sealed class LockedRedis : IAsyncDisposable
{
    public const string Password = "test-requirepass-7f3a";
    public const string User = "pastanoodles";
    public const string UserPassword = "test-acl-user-91c2";

    readonly string _directory = Directory.CreateTempSubdirectory("pastanoodles-locked-redis-").FullName;
    readonly StringBuilder _log = new();
    Process? _process;

    LockedRedis() => Port = SiloProcess.FreePort();

    public int Port { get; }

    /// <summary>The URL without credentials: the password comes from a setting or a file.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>A file holding <see cref="Password"/>, as a compose or Kubernetes secret would.</summary>
    public string PasswordFile => Path.Combine(_directory, "redis-password");

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static async Task<LockedRedis> StartAsync()
    {
        var redis = new LockedRedis();
        File.WriteAllText(redis.PasswordFile, Password + "\n");
        try
        {
            await redis.StartServerAsync();
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILLs the server and starts it again, empty, on the same port.</summary>
    public async Task RestartEmptyAsync()
    {
        await StopAsync();
        lock (_log) _log.AppendLine("----- restarted empty -----");
        await StartServerAsync();
    }

    /// <summary>SIGKILLs the server.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
            process.Dispose();
            _process = null;
        }
    }

    async Task StartServerAsync()
    {
        var executable = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("redis-server is not installed, so the locked-Redis tests cannot run. ---> HINT: apt-get install -y redis-server.");
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _directory };
        foreach (var arg in new[]
                 {
                     "--port", $"{Port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory,
                     "--protected-mode", "yes", "--requirepass", Password, "--user", User, "on", $">{UserPassword}", "~*", "&*", "+@all",
                 })
            start.ArgumentList.Add(arg);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await AnswersAsync())
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"redis-server on port {Port} did not answer within 30 s. Its log:\n{Log}");
            await Task.Delay(50);
        }
    }

    /// <summary>True once the server answers (NOAUTH counts: it is up and locked).</summary>
    async Task<bool> AnswersAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            return read > 0 && buffer[0] is (byte)'+' or (byte)'-';
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
        await StopAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
