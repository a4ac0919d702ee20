using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Pastanoodles.Cluster;

namespace Pastanoodles.Silo;

/// <summary>Checks <see cref="SiloOptions"/> at startup; each failure names the setting, its value and the rule.</summary>
public sealed partial class SiloOptionsValidator : IValidateOptions<SiloOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloOptions options)
    {
        var failures = new List<string>();
        const string S = SiloOptions.Section;
        if (options.Role is { } role && !SiloRoles.All.Contains(role))
            failures.Add($"{S}:Role is '{role}'. It must be one of: {string.Join(", ", SiloRoles.All)}.");
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
            failures.Add($"{S}:DataDirectory is empty. Set it to a folder the silo may write, e.g. --data ./data.");
        foreach (var (key, port) in new[] { ("SiloPort", options.SiloPort), ("GatewayPort", options.GatewayPort), ("PrimarySiloPort", options.PrimarySiloPort ?? options.SiloPort) })
        {
            if (port is < 1 or > 65535)
                failures.Add($"{S}:{key} is {port}. It must be between 1 and 65535.");
        }
        if (options.SiloPort == options.GatewayPort)
            failures.Add($"{S}:SiloPort and {S}:GatewayPort are both {options.SiloPort}. They must differ.");
        try
        {
            _ = options.Redis;
            if (options.ListensBeyondLoopback && !options.UsesTls && !options.Insecure)
                failures.Add($"{S}:AdvertisedAddress is '{options.AdvertisedOrDefault}', beyond loopback, and {S}:TlsCertificate is not set: anyone who reaches " +
                    $"ports {options.SiloPort} and {options.GatewayPort} could call every grain. ---> HINT: `pastanoodles cluster certs --out DIR`, then " +
                    $"--tls-cert DIR/silo.pfx --tls-ca DIR/ca.crt; or, on a network nobody else reaches, {SiloOptions.InsecureSwitch}.");
        }
        catch (FormatException ex)
        {
            failures.Add(ex.Message);
        }
        if (string.IsNullOrEmpty(options.TlsCertificate) != string.IsNullOrEmpty(options.TlsCertificateAuthority))
            failures.Add($"{S}:TlsCertificate is '{options.TlsCertificate}' and {S}:TlsCertificateAuthority is '{options.TlsCertificateAuthority}'. " +
                "Set both (this silo's .pfx and the cluster's ca.crt) or neither.");
        foreach (var (key, value) in new[] { ("ProbeTimeout", options.ProbeTimeout), ("TableRefreshTimeout", options.TableRefreshTimeout),
                     ("IAmAliveTablePublishTimeout", options.IAmAliveTablePublishTimeout) })
        {
            if (value <= TimeSpan.Zero)
                failures.Add($"{S}:{key} is {value}. It must be greater than 0 (a time span such as 00:00:02).");
        }
        if (options.NumMissedProbesLimit < 1)
            failures.Add($"{S}:NumMissedProbesLimit is {options.NumMissedProbesLimit}. It must be at least 1.");
        if (options.DashboardUrl.Length > 0 && !IsLoopbackHttpUrl(options.DashboardUrl)
            && !(options.UsesTls && Uri.TryCreate(options.DashboardUrl, UriKind.Absolute, out var dashboard) && dashboard.Scheme == Uri.UriSchemeHttps))
            failures.Add($"{S}:DashboardUrl is '{options.DashboardUrl}'. It must be an http URL on a loopback address (127.0.0.1, [::1] or localhost), " +
                $"or an https URL with {S}:TlsCertificate set, so that only a holder of a client certificate signed by the cluster CA gets in; " +
                "set it empty to turn the dashboard off.");
        foreach (var device in options.TrainingDevices ?? [])
        {
            if (!DevicePattern().IsMatch(device))
                failures.Add($"{S}:TrainingDevices has '{device}'. Each device must be 'cpu' or 'cuda:N'.");
        }
        if (options.TrainingDevices is { Count: 0 })
            failures.Add($"{S}:TrainingDevices is empty. Leave it unset to use every CUDA device (or the CPU), or list devices.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    static bool IsLoopbackHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
        && (uri.IsLoopback || IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    [GeneratedRegex("^(cpu|cuda:[0-9]+)$")]
    private static partial Regex DevicePattern();
}
