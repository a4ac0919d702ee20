using StackExchange.Redis;

namespace Pastanoodles.Silo;

/// <summary>The Redis of cluster mode, parsed from <c>redis://[:password@]host:port</c>.</summary>
public sealed record RedisEndpoint(string Host, int Port, string? Password)
{
    /// <summary>Null for <c>localhost</c>; the endpoint for a <c>redis://</c> URL; <see cref="FormatException"/> naming the rule otherwise.</summary>
    public static RedisEndpoint? Parse(string cluster)
    {
        if (cluster == "localhost")
            return null;
        if (!cluster.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
            || !Uri.TryCreate(cluster, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || uri.AbsolutePath is not ("" or "/"))
            throw new FormatException($"Cluster is '{cluster}'. It must be 'localhost' or a Redis URL 'redis://host:port' (e.g. redis://127.0.0.1:6379).");
        var password = uri.UserInfo.Length == 0 ? null : Uri.UnescapeDataString(uri.UserInfo.TrimStart(':'));
        return new RedisEndpoint(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port, password);
    }

    /// <summary>True when Redis runs on this machine's loopback, so the whole cluster must be on this machine too.</summary>
    public bool IsLoopback => Host == "localhost" || System.Net.IPAddress.TryParse(Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip);

    /// <summary>StackExchange.Redis options; <c>AbortOnConnectFail</c> off so a silo started before Redis keeps trying.</summary>
    public ConfigurationOptions ToConfigurationOptions()
    {
        var options = new ConfigurationOptions { AbortOnConnectFail = false, Password = Password };
        options.EndPoints.Add(Host, Port);
        return options;
    }

    public override string ToString() => $"redis://{Host}:{Port}";
}
