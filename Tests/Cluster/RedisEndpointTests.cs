using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

public class RedisEndpointTests
{
    [Theory]
    [InlineData("redis://10.0.0.5:7000", "redis://10.0.0.5:7000", null, null, false)]
    [InlineData("redis://:s3cret@10.0.0.5", "redis://10.0.0.5:6379", null, "s3cret", false)]
    [InlineData("redis://alice:p%40ss@redis:6380", "redis://alice@redis:6380", "alice", "p@ss", false)]
    [InlineData("redis://alice@redis", "redis://alice@redis:6379", "alice", null, false)]
    [InlineData("rediss://alice:pw@cache.example.com:6380", "rediss://alice@cache.example.com:6380", "alice", "pw", true)]
    public void Urls_carry_user_password_and_tls(string url, string shown, string? user, string? password, bool tls)
    {
        var endpoint = RedisEndpoint.Parse(url)!;

        Assert.Equal((shown, user, password, tls), (endpoint.ToString(), endpoint.User, endpoint.Password, endpoint.Tls));
        var options = endpoint.ToConfigurationOptions();
        Assert.Equal((user, password, tls, false), (options.User, options.Password, options.Ssl, options.AbortOnConnectFail));
    }

    [Fact]
    public void The_password_comes_from_the_url_else_the_setting_else_the_file()
    {
        using var folder = new TempDir();
        File.WriteAllText(folder.Combine("pw"), "from-file\n");
        var names = ("P", "P_FILE", "CA");
        var bare = RedisEndpoint.Parse("redis://10.0.0.5:6379")!;

        Assert.Equal("from-file", bare.WithSecrets(null, folder.Combine("pw"), null, names).Password);
        Assert.Equal("from-env", bare.WithSecrets("from-env", folder.Combine("pw"), null, names).Password);
        Assert.Equal("in-url", RedisEndpoint.Parse("redis://:in-url@10.0.0.5")!.WithSecrets("from-env", null, null, names).Password);
        Assert.Null(bare.WithSecrets("", null, null, names).Password);
    }

    [Fact]
    public void Bad_secret_settings_are_named()
    {
        using var folder = new TempDir();
        File.WriteAllText(folder.Combine("empty"), "\n");
        var names = ("P", "P_FILE", "CA");
        var bare = RedisEndpoint.Parse("redis://10.0.0.5:6379")!;

        Assert.Equal($"P_FILE is '{folder.Combine("missing")}', which does not exist. It must name a file holding the Redis password.",
            Assert.Throws<FileNotFoundException>(() => bare.WithSecrets(null, folder.Combine("missing"), null, names)).Message);
        Assert.StartsWith($"P_FILE is '{folder.Combine("empty")}', which is empty.", Assert.Throws<InvalidDataException>(() => bare.WithSecrets(null, folder.Combine("empty"), null, names)).Message);
        Assert.StartsWith("CA is set but the cluster URL is redis://. Use rediss://10.0.0.5:6379", Assert.Throws<ArgumentException>(() => bare.WithSecrets(null, null, "/ca.crt", names)).Message);
    }

    [Fact]
    public void Redact_hides_only_the_password()
    {
        Assert.Equal("redis://alice:***@redis:6379", RedisEndpoint.Redact("redis://alice:s3cret@redis:6379"));
        Assert.Equal("redis://:***@redis", RedisEndpoint.Redact("redis://:s3cret@redis"));
        Assert.Equal("redis://redis:6379", RedisEndpoint.Redact("redis://redis:6379"));
    }
}
