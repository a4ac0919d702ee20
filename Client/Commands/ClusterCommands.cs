using System.CommandLine;
using Pastanoodles.Cluster;
using Spectre.Console;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles cluster`: the silos of the cluster with role, address, status and what they host.</summary>
public static class ClusterCommands
{
    public static Command Create(ClusterConnection.Connector? connect = null)
    {
        connect ??= ClusterConnection.ConnectAsync;
        var gateway = ClusterCommandSupport.GatewayOption();
        var command = new Command("cluster", "List the cluster's silos: role, address, status, activations and trainers.") { gateway };
        command.SetAction((parseResult, cancellationToken) => ClusterCommandSupport.WithClusterAsync(parseResult, connect, gateway, cancellationToken,
            async (client, console) =>
            {
                var silos = await client.GetGrain<IClusterInfoGrain>(0).GetSilosAsync();
                var table = new Table().AddColumns("silo", "role", "address", "status", "activations", "trainers", "host", "started");
                foreach (var silo in silos)
                {
                    table.AddRow(Markup.Escape(silo.Name), silo.Role, Markup.Escape(silo.Address), silo.Status,
                        silo.Activations.ToString(), silo.Trainers.ToString(), Markup.Escape(silo.Host), silo.StartedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"));
                }
                console.Write(table);
                return 0;
            }));
        command.Subcommands.Add(Certificates());
        return command;
    }

    /// <summary>`pastanoodles cluster certs --out DIR`: the cluster CA, the silo certificate and client certificates (see <see cref="ClusterCertificates"/>).</summary>
    static Command Certificates()
    {
        var output = new Option<string>("--out") { Description = "Folder to write ca.crt, ca.key, silo.pfx and one NAME.pfx per client; an existing CA there is reused.", Required = true };
        var clients = new Option<string[]>("--client")
        {
            Description = "A client certificate to make (repeat for more). Default: client.",
            DefaultValueFactory = _ => ["client"],
            AllowMultipleArgumentsPerToken = true,
        };
        var hosts = new Option<string[]>("--host") { Description = "Host names or IP addresses to write into the silo certificate (repeatable).", DefaultValueFactory = _ => [] };
        var days = new Option<int>("--days") { Description = "Days the silo and client certificates stay valid.", DefaultValueFactory = _ => 825 };
        var command = new Command("certs", "Make a cluster CA, a silo certificate and client certificates for TLS on every Orleans link.") { output, clients, hosts, days };
        command.SetAction(parseResult => CommandErrors.Run(parseResult, () =>
        {
            if (parseResult.GetValue(days) < 1)
                throw new ArgumentException($"--days is {parseResult.GetValue(days)}. It must be at least 1.");
            var folder = Path.GetFullPath(parseResult.GetValue(output)!);
            var console = parseResult.InvocationConfiguration.Output;
            foreach (var (file, action) in ClusterCertificates.Create(folder, parseResult.GetValue(clients)!, parseResult.GetValue(hosts)!, TimeSpan.FromDays(parseResult.GetValue(days))))
                console.WriteLine($"{action,-8} {file}");
            console.WriteLine($"silos:   --tls-cert {Path.Combine(folder, ClusterCertificates.SiloFile)} --tls-ca {Path.Combine(folder, ClusterCertificates.AuthorityFile)}" +
                " (or Silo__TlsCertificate / Silo__TlsCertificateAuthority)");
            console.WriteLine($"clients: {ClusterAddress.TlsCertificateVariable}={Path.Combine(folder, parseResult.GetValue(clients)![0] + ".pfx")} " +
                $"{ClusterAddress.TlsAuthorityVariable}={Path.Combine(folder, ClusterCertificates.AuthorityFile)}");
            console.WriteLine($"keep {Path.Combine(folder, ClusterCertificates.AuthorityKeyFile)} offline: it signs new members.");
            return 0;
        }));
        return command;
    }
}
