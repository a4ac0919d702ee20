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
        return command;
    }
}
