using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace Pastanoodles.Cluster;

/// <summary>Mutual TLS on every Orleans link (silo to silo, client to gateway): this process's certificate and the cluster CA that every
/// peer's certificate must chain to. Holding a certificate signed by the cluster CA is what lets a process in; nothing else is checked
/// (no host names: silos are reached by IP address).</summary>
public sealed record ClusterTls(X509Certificate2 Certificate, X509Certificate2 Authority)
{
    /// <summary>Loads this process's certificate (a PKCS#12 file with its private key, as <c>pastanoodles cluster certs</c> writes) and the
    /// cluster CA (PEM or DER). <paramref name="settings"/> names the two settings in messages.</summary>
    public static ClusterTls Load(string certificatePath, string authorityPath, (string Certificate, string Authority) settings)
    {
        var authority = Read(authorityPath, settings.Authority, "the cluster CA certificate (ca.crt)", X509CertificateLoader.LoadCertificateFromFile);
        var certificate = Read(certificatePath, settings.Certificate, "this process's certificate with its key (silo.pfx or a client .pfx)",
            path => X509CertificateLoader.LoadPkcs12FromFile(path, password: null));
        if (!certificate.HasPrivateKey)
            throw new InvalidDataException($"{settings.Certificate} is '{certificatePath}', which holds no private key. It must be a .pfx file with its key, as `pastanoodles cluster certs` writes.");
        var tls = new ClusterTls(certificate, authority);
        if (!tls.IsSignedByCluster(certificate))
            throw new InvalidDataException($"{settings.Certificate} is '{certificatePath}' ({certificate.Subject}), which is not signed by the CA in {settings.Authority} " +
                $"('{authorityPath}', {authority.Subject}). ---> HINT: use the files one `pastanoodles cluster certs --out DIR` wrote.");
        return tls;
    }

    /// <summary>True when <paramref name="certificate"/> chains to the cluster CA alone (no system roots) and is valid now.</summary>
    public bool IsSignedByCluster(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(Authority.RawData);
    }

    /// <summary>The Orleans TLS settings: present <see cref="Certificate"/>, require the peer's, and accept only the cluster CA's.</summary>
    public void Configure(TlsOptions options)
    {
        options.LocalCertificate = Certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        // The platform's policy errors (an unknown root, a name that is not the IP dialled) are replaced by the one rule: signed by the cluster CA.
        options.RemoteCertificateValidation = (certificate, _, _) => IsSignedByCluster(certificate);
    }

    static X509Certificate2 Read(string path, string setting, string what, Func<string, X509Certificate2> load)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{setting} is '{path}', which does not exist. It must name {what}. " +
                "---> HINT: `pastanoodles cluster certs --out DIR` makes the CA, silo and client certificates.", path);
        try
        {
            return load(path);
        }
        catch (CryptographicException ex)
        {
            throw new InvalidDataException($"{setting} is '{path}', which is not {what}: {ex.Message}", ex);
        }
    }
}
