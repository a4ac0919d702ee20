using System.Security.Cryptography.X509Certificates;
using Pastanoodles.Client;
using Pastanoodles.Cluster;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Client;

/// <summary>`cluster certs`: a CA, a silo certificate and client certificates that <see cref="ClusterTls"/> accepts, and nothing it should not.</summary>
public class ClusterCertificatesTests
{
    [Fact]
    public void Certs_makes_a_ca_a_silo_and_client_certificates_that_chain_to_it_and_keys_only_the_owner_reads()
    {
        using var folder = new TempDir();
        var result = Cli.Run("cluster", "certs", "--out", folder.Path, "--client", "alice", "--client", "bob", "--host", "10.0.0.21");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(["alice.pfx", "bob.pfx", "ca.crt", "ca.key", "silo.pfx"], Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order());
        var tls = ClusterTls.Load(folder["silo.pfx"], folder["ca.crt"], ("cert", "ca"));
        var alice = ClusterTls.Load(folder["alice.pfx"], folder["ca.crt"], ("cert", "ca")).Certificate;
        Assert.True(tls.IsSignedByCluster(alice));
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], Usages(tls.Certificate));   // a silo is both server and client
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], Usages(alice));                                      // a client only a client
        Assert.Equal("CN=alice, O=Pastanoodles", alice.Subject);
        Assert.Contains("10.0.0.21", tls.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses().Select(ip => ip.ToString()));
        Assert.True(tls.Authority.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        foreach (var secret in new[] { "ca.key", "silo.pfx", "alice.pfx" })
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(folder[secret]));
    }

    [Fact]
    public void A_second_run_keeps_the_ca_and_adds_a_client_while_another_folder_is_another_ca()
    {
        using var folder = new TempDir();
        Assert.Equal(0, Cli.Run("cluster", "certs", "--out", folder["a"]).ExitCode);
        var authority = File.ReadAllText(folder["a/ca.crt"]);
        var silo = File.ReadAllBytes(folder["a/silo.pfx"]);

        var again = Cli.Run("cluster", "certs", "--out", folder["a"], "--client", "carol");
        Assert.Equal(0, Cli.Run("cluster", "certs", "--out", folder["b"]).ExitCode);

        Assert.Contains($"kept     {folder["a/ca.crt"]}", again.Output);
        Assert.Contains($"created  {folder["a/carol.pfx"]}", again.Output);
        Assert.Equal(authority, File.ReadAllText(folder["a/ca.crt"]));
        Assert.Equal(silo, File.ReadAllBytes(folder["a/silo.pfx"]));
        var tls = ClusterTls.Load(folder["a/silo.pfx"], folder["a/ca.crt"], ("cert", "ca"));
        Assert.True(tls.IsSignedByCluster(X509CertificateLoader.LoadPkcs12FromFile(folder["a/carol.pfx"], null)));
        Assert.False(tls.IsSignedByCluster(X509CertificateLoader.LoadPkcs12FromFile(folder["b/client.pfx"], null)));
        Assert.StartsWith($"cert is '{folder["b/client.pfx"]}' (CN=client, O=Pastanoodles), which is not signed by the CA in ca",
            Assert.Throws<InvalidDataException>(() => ClusterTls.Load(folder["b/client.pfx"], folder["a/ca.crt"], ("cert", "ca"))).Message);
    }

    [Fact]
    public void Missing_or_bad_files_and_names_are_one_line_errors()
    {
        using var folder = new TempDir();
        File.WriteAllText(folder["junk.pfx"], "not a certificate");
        Cli.Run("cluster", "certs", "--out", folder["certs"]);

        Assert.StartsWith($"cert is '{folder["none.pfx"]}', which does not exist.",
            Assert.Throws<FileNotFoundException>(() => ClusterTls.Load(folder["none.pfx"], folder["certs/ca.crt"], ("cert", "ca"))).Message);
        Assert.StartsWith($"cert is '{folder["junk.pfx"]}', which is not this process's certificate with its key",
            Assert.Throws<InvalidDataException>(() => ClusterTls.Load(folder["junk.pfx"], folder["certs/ca.crt"], ("cert", "ca"))).Message);
        var badName = Cli.Run("cluster", "certs", "--out", folder["certs"], "--client", "../evil");
        Assert.Equal((1, "error: --client is '../evil'. It must be a plain name (letters, digits, '-', '_'), other than 'silo' and 'ca'."), (badName.ExitCode, badName.Error.Trim()));
    }

    static string[] Usages(X509Certificate2 certificate) =>
        [.. certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value!).Order()];
}
