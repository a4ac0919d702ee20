using StackExchange.Redis;

namespace Pastanoodles.Cluster;

/// <summary>The Redis of cluster mode, parsed from <c>redis://[user:password@]host:port</c> (or <c>rediss://</c> for TLS); the silo and
/// the console both connect through it.</summary>
/// <param name="User">An ACL user (Redis 6+); null: the default user.</param>
/// <param name="Password">The password (<c>requirepass</c> or the ACL user's); null: none.</param>
/// <param name="Tls">True for <c>rediss://</c>.</param>
/// <param name="CertificateAuthority">With TLS, a PEM file of the CA that signed the server's certificate; null: the system's trust store.</param>
public sealed record RedisEndpoint(string Host, int Port, string? User = null, string? Password = null, bool Tls = false, string? CertificateAuthority = null)
{
    /// <summary>How long a first connection may take before a refused password or certificate is told apart from an unreachable server.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(4);

    /// <summary>Null for <c>localhost</c>; the endpoint for a <c>redis://</c> or <c>rediss://</c> URL; <see cref="FormatException"/> naming the rule otherwise.</summary>
    /// <param name="setting">The setting's name in messages (<c>Silo:Cluster</c>, <c>--cluster</c>).</param>
    public static RedisEndpoint? Parse(string cluster, string setting = "Cluster")
    {
        if (cluster == "localhost")
            return null;
        if (!Uri.TryCreate(cluster, UriKind.Absolute, out var uri) || uri.Scheme is not ("redis" or "rediss") || uri.Host.Length == 0
            || uri.AbsolutePath is not ("" or "/"))
            throw new FormatException($"{setting} is '{Redact(cluster)}'. It must be 'localhost' or a Redis URL 'redis://[user:password@]host:port' " +
                "(e.g. redis://127.0.0.1:6379), or rediss://... for Redis over TLS.");
        var (user, password) = uri.UserInfo.Split(':', 2) switch
        {
            [""] => (null, null),
            [var name] => (Uri.UnescapeDataString(name), null),   // redis://user@host: a user name and no password, as redis-py reads it
            [var name, var secret] => (name.Length == 0 ? null : Uri.UnescapeDataString(name), Uri.UnescapeDataString(secret)),
            _ => (null, null),
        };
        return new RedisEndpoint(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port, user, password, uri.Scheme == "rediss");
    }

    /// <summary>The URL with its password replaced by <c>***</c>, for messages and logs.</summary>
    public static string Redact(string cluster) =>
        Uri.TryCreate(cluster, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0 ? cluster.Replace(uri.UserInfo, uri.UserInfo.Split(':')[0] + ":***") : cluster;

    /// <summary>Adds what settings give beside the URL, so the password is never on a command line (<c>ps</c> shows those): the password
    /// itself (from an environment variable), else the file holding it (a Kubernetes or compose secret); and the CA for <c>rediss://</c>.
    /// A password in the URL wins. <paramref name="settings"/> names the three settings in messages.</summary>
    public RedisEndpoint WithSecrets(string? password, string? passwordFile, string? certificateAuthority, (string Password, string File, string Authority) settings)
    {
        var resolved = Password ?? (password is { Length: > 0 } ? password : null);
        if (resolved is null && passwordFile is { Length: > 0 })
        {
            if (!File.Exists(passwordFile))
                throw new FileNotFoundException($"{settings.File} is '{passwordFile}', which does not exist. It must name a file holding the Redis password.", passwordFile);
            resolved = File.ReadAllText(passwordFile).TrimEnd('\r', '\n');
            if (resolved.Length == 0)
                throw new InvalidDataException($"{settings.File} is '{passwordFile}', which is empty. It must hold the Redis password.");
        }
        if (certificateAuthority is { Length: > 0 })
        {
            if (!Tls)
                throw new ArgumentException($"{settings.Authority} is set but the cluster URL is redis://. Use rediss://{Host}:{Port} for Redis over TLS, or unset {settings.Authority}.");
            if (!File.Exists(certificateAuthority))
                throw new FileNotFoundException($"{settings.Authority} is '{certificateAuthority}', which does not exist. It must name the PEM file of the CA that signed the Redis server's certificate.", certificateAuthority);
        }
        return this with { Password = resolved, CertificateAuthority = certificateAuthority is { Length: > 0 } ? certificateAuthority : null };
    }

    /// <summary>True when Redis runs on this machine's loopback, so the whole cluster must be on this machine too.</summary>
    public bool IsLoopback => Host == "localhost" || System.Net.IPAddress.TryParse(Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip);

    /// <summary>StackExchange.Redis options; <c>AbortOnConnectFail</c> off so a silo started before Redis keeps trying.</summary>
    public ConfigurationOptions ToConfigurationOptions()
    {
        var options = new ConfigurationOptions { AbortOnConnectFail = false, User = User, Password = Password, Ssl = Tls };
        options.EndPoints.Add(Host, Port);
        if (Tls)
            options.SslHost = Host;
        if (CertificateAuthority is { } authority)
            options.TrustIssuer(authority);
        return options;
    }

    /// <summary>Connects once and sends PING, to tell a refused password or certificate (thrown as <see cref="RedisAuthenticationException"/>)
    /// from a server that is not up yet (false: the caller keeps trying, as Orleans does). Without this, a wrong password surfaces only as
    /// "The message timed out" after every retry.</summary>
    public async Task<bool> ProbeAsync(CancellationToken cancellationToken = default)
    {
        var options = ToConfigurationOptions();
        (options.AbortOnConnectFail, options.ConnectRetry, options.ConnectTimeout) = (true, 1, (int)ProbeTimeout.TotalMilliseconds);
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(ProbeTimeout + TimeSpan.FromSeconds(1), cancellationToken);
            await connection.GetDatabase().PingAsync();
            return true;
        }
        catch (RedisConnectionException ex) when (ex.FailureType == ConnectionFailureType.AuthenticationFailure || IsRefusal(ex))
        {
            throw new RedisAuthenticationException(this, Reason(ex), ex);
        }
        catch (RedisServerException ex) when (IsRefusal(ex))
        {
            throw new RedisAuthenticationException(this, Reason(ex), ex);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or TimeoutException)
        {
            return false;
        }
    }

    static bool IsRefusal(Exception ex) =>
        ex.ToString() is var text && (text.Contains("WRONGPASS", StringComparison.Ordinal) || text.Contains("NOAUTH", StringComparison.Ordinal)
            || text.Contains("NOPERM", StringComparison.Ordinal) || text.Contains("AuthenticationFailure", StringComparison.Ordinal));

    /// <summary>The server's own words when it sent some (WRONGPASS, NOAUTH, NOPERM), else StackExchange.Redis's first line.</summary>
    static string Reason(Exception ex) =>
        System.Text.RegularExpressions.Regex.Match(ex.ToString(), "(WRONGPASS|NOAUTH|NOPERM)[^\r\n]*") is { Success: true } words
            ? words.Value.TrimEnd('.', ')')
            : (ex.InnerException ?? ex).Message.Split('\n')[0];

    public override string ToString() => $"{(Tls ? "rediss" : "redis")}://{(User is null ? "" : User + "@")}{Host}:{Port}";
}

/// <summary>Redis refused this client: a wrong or missing password, an unknown ACL user, or (rediss://) a certificate it does not trust.</summary>
public sealed class RedisAuthenticationException(RedisEndpoint endpoint, string reason, Exception inner)
    : Exception($"Redis at {endpoint} refused authentication ({reason}). " +
        "---> HINT: check the password (the URL's user:password@, or the password setting or file) and, for rediss://, the CA file.", inner);
