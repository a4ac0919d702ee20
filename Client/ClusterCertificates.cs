using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pastanoodles.Client;

/// <summary>Makes the certificates of <see cref="Pastanoodles.Cluster.ClusterTls"/> with .NET's <see cref="CertificateRequest"/>: a cluster CA,
/// one certificate every silo presents (server and client authentication) and one per client (client authentication only).</summary>
/// <remarks>Keys are ECDSA P-256. Files: <c>ca.crt</c> (PEM, give it to every silo and client), <c>ca.key</c> (PEM; keep it offline, it
/// signs new members), <c>silo.pfx</c> and <c>NAME.pfx</c> (PKCS#12 with the key, no password, readable by the owner only). A folder
/// that already holds <c>ca.crt</c> and <c>ca.key</c> keeps its CA, and existing files are never overwritten, so running it again
/// with a new <c>--client</c> adds that client to the same cluster.</remarks>
public static class ClusterCertificates
{
    public const string AuthorityFile = "ca.crt";
    public const string AuthorityKeyFile = "ca.key";
    public const string SiloFile = "silo.pfx";

    static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>Writes what is missing in <paramref name="directory"/>; returns each file with "created" or "kept".</summary>
    /// <param name="hosts">Extra DNS names or IP addresses written into the silo certificate (informational: peers check the CA, not names).</param>
    public static IReadOnlyList<(string File, string Action)> Create(string directory, IReadOnlyList<string> clients, IReadOnlyList<string> hosts, TimeSpan validity)
    {
        foreach (var client in clients)
        {
            if (client.Length == 0 || client.IndexOfAny([.. Path.GetInvalidFileNameChars(), ',', '=', '+']) >= 0 || client is "silo" or "ca")
                throw new ArgumentException($"--client is '{client}'. It must be a plain name (letters, digits, '-', '_'), other than 'silo' and 'ca'.");
        }
        Directory.CreateDirectory(directory);
        var written = new List<(string, string)>();
        var (authority, created) = LoadOrCreateAuthority(directory, validity);
        written.Add((Path.Combine(directory, AuthorityFile), created ? "created" : "kept"));
        using (authority)
        {
            written.Add(Leaf(directory, SiloFile, "pastanoodles-silo", [ServerAuthentication, ClientAuthentication], ["localhost", "127.0.0.1", .. hosts], authority, validity));
            foreach (var client in clients)
                written.Add(Leaf(directory, $"{client}.pfx", client, [ClientAuthentication], [], authority, validity));
        }
        return written;
    }

    static (X509Certificate2 Authority, bool Created) LoadOrCreateAuthority(string directory, TimeSpan validity)
    {
        var (certificatePath, keyPath) = (Path.Combine(directory, AuthorityFile), Path.Combine(directory, AuthorityKeyFile));
        if (File.Exists(certificatePath) && File.Exists(keyPath))
            return (X509Certificate2.CreateFromPemFile(certificatePath, keyPath), false);
        if (File.Exists(certificatePath) || File.Exists(keyPath))
            throw new InvalidOperationException($"{directory} holds only one of {AuthorityFile} and {AuthorityKeyFile}. Both are needed to sign new certificates; " +
                "use an empty folder for a new cluster CA.");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Pastanoodles cluster CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        var authority = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validity).AddYears(1));   // outlives every certificate it signs
        WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificatePath, authority.ExportCertificatePem() + "\n");
        return (authority, true);
    }

    static (string, string) Leaf(string directory, string file, string name, Oid[] usages, IEnumerable<string> hosts, X509Certificate2 authority, TimeSpan validity)
    {
        var path = Path.Combine(directory, file);
        if (File.Exists(path))
            return (path, "kept");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}, O=Pastanoodles"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([.. usages], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts.Distinct())
        {
            if (IPAddress.TryParse(host, out var ip))
                names.AddIpAddress(ip);
            else
                names.AddDnsName(host);
        }
        if (hosts.Any())
            request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;   // a positive serial number
        using var signed = request.Create(authority, now.AddMinutes(-5), now.Add(validity), serial);
        using var withKey = signed.CopyWithPrivateKey(key);
        WritePrivate(path, withKey.Export(X509ContentType.Pkcs12));
        return (path, "created");
    }

    static void WritePrivate(string path, string text) => WritePrivate(path, System.Text.Encoding.ASCII.GetBytes(text));

    /// <summary>Creates the file readable and writable by its owner only, before any secret is in it.</summary>
    static void WritePrivate(string path, byte[] bytes)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        stream.Write(bytes);
    }
}
