using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Garnet;
using Microsoft.Extensions.Logging;
using Pastanoodles.Tests.Support;
using Pastanoodles.Client;

namespace Pastanoodles.Tests.Processes;

/// <summary>The tests' throwaway Redis on a free loopback port, persisting to a temp folder: an embedded Garnet in this process by
/// default, so the tests need nothing installed, or the <c>redis-server</c> that <see cref="Variable"/> names.</summary>
/// <remarks>The tests never use a system Redis service: each starts its own and stops it on dispose. Garnet runs with the options
/// Orleans' Redis providers need here (and -q: no banner on the test console): Lua on (all three providers use scripts), an append-only file recovered on start, and the
/// RandomAccess device (the default one needs libaio, which Debian 12 lacks: Garnet dies at its first AOF flush without it).
/// <para>Locked (<c>StartAsync(locked: true)</c>), it is locked as the deploy files lock theirs: the default user needs
/// <see cref="Password"/> and an ACL user <see cref="User"/> has <see cref="UserPassword"/>. On Garnet: <c>--auth ACL --acl-file FILE</c>
/// (an ACL file naming both users); on redis-server: <c>--requirepass</c>, <c>--user</c> and <c>--protected-mode yes</c> (Garnet has no
/// protected mode; on loopback it changes nothing). Both answer NOAUTH and WRONGPASS in Redis's words.</para></remarks>
public sealed class RedisServer : IAsyncDisposable
{
    /// <summary>Names a redis-server executable to use instead of the embedded Garnet (.ci/run runs the Redis-backed tests both ways).</summary>
    public const string Variable = "PASTANOODLES_TEST_REDIS";

    /// <summary>A locked store's default-user password, its ACL user and that user's password.</summary>
    public const string Password = "test-requirepass-7f3a", User = "pastanoodles", UserPassword = "test-acl-user-91c2";

    readonly string _directory = Directory.CreateTempSubdirectory("pastanoodles-redis-").FullName;
    readonly StringBuilder _log = new();
    readonly string? _executable = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path ? path : null;
    readonly bool _locked;
    GarnetServer? _garnet;
    Process? _process;

    RedisServer(bool locked)
    {
        Port = FreePorts.Next();
        _locked = locked;
        Directory.CreateDirectory(DataDirectory);
        if (!locked)
            return;
        File.WriteAllText(PasswordFile, Password + "\n");
        File.WriteAllText(AclFile, $"user default on >{Password} +@all\nuser {User} on >{UserPassword} +@all\n");
    }

    public int Port { get; }

    /// <summary>The <c>--cluster</c> value for silos and clients.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>What serves this Redis: "garnet (in process)" or the redis-server path.</summary>
    public string Kind => _executable ?? "garnet (in process)";

    /// <summary>A file holding <see cref="Password"/>, as a compose or Kubernetes secret would (a locked store only).</summary>
    public string PasswordFile => Path.Combine(_directory, "redis-password");

    string AclFile => Path.Combine(_directory, "users.acl");

    /// <summary>What the store persists; <see cref="RestartAsync"/> with <c>empty</c> deletes it.</summary>
    string DataDirectory => Path.Combine(_directory, "data");

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Starts the store and waits until it answers PING (locked: until it answers NOAUTH).</summary>
    public static async Task<RedisServer> StartAsync(bool locked = false)
    {
        var server = new RedisServer(locked);
        try
        {
            await server.StartStoreAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the store and starts it again on the same port and folder; what was written before is recovered from its
    /// append-only file, or, with <paramref name="empty"/>, deleted first (a store that lost its data).</summary>
    public async Task RestartAsync(bool empty = false)
    {
        await StopStoreAsync();
        Append(empty ? "----- restart, empty -----" : "----- restart -----");
        if (empty)
        {
            Directory.Delete(DataDirectory, recursive: true);
            Directory.CreateDirectory(DataDirectory);
        }
        await StartStoreAsync();
    }

    async Task StartStoreAsync()
    {
        if (_executable is null)
        {
            _garnet = new GarnetServer(
            [
                "--bind", "127.0.0.1", "--port", $"{Port}", "-q", "--lua",
                "--aof", "--recover", "--checkpointdir", DataDirectory, "--device-type", "RandomAccess",
                "--memory", "256m", "--page", "1m", "--index", "16m",
                .. _locked ? ["--auth", "ACL", "--acl-file", AclFile] : Array.Empty<string>(),
            ], LoggerFactory.Create(logging => logging.AddProvider(new LogCapture(this)).SetMinimumLevel(LogLevel.Information)));
            _garnet.Start();
        }
        else
        {
            if (!File.Exists(_executable))
                throw new FileNotFoundException($"{Variable} is '{_executable}', which does not exist. ---> HINT: apt-get install -y redis-server and set " +
                    $"{Variable}=/usr/bin/redis-server, or unset it to use the embedded Garnet.");
            var start = new ProcessStartInfo(_executable) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _directory };
            foreach (var arg in new[] { "--port", $"{Port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", DataDirectory })
                start.ArgumentList.Add(arg);
            if (_locked)
                foreach (var arg in new[] { "--protected-mode", "yes", "--requirepass", Password, "--user", User, "on", $">{UserPassword}", "~*", "&*", "+@all" })
                    start.ArgumentList.Add(arg);
            _process = new Process { StartInfo = start };
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }
        var answer = _locked ? "-NOAUTH" : "+PONG";
        await Phase.Until($"{Kind} on port {Port} answers PING", () => PingAsync(answer), ok => ok || _process is { HasExited: true }, answer, describe: _ => Log);
        if (_process is { HasExited: true })
            throw new InvalidOperationException($"{Kind} on port {Port} exited with code {_process.ExitCode} before it answered PING. Its log:\n{Log}");
    }

    async Task StopStoreAsync()
    {
        _garnet?.Dispose();
        _garnet = null;
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

    async Task<bool> PingAsync(string answer)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith(answer, StringComparison.Ordinal);
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
        await StopStoreAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>Garnet's log lines, kept for failure messages instead of written to the test's console.</summary>
    sealed class LogCapture(RedisServer server) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            server.Append($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
        public void Dispose() { }
    }
}
