using System.Net;
using System.Net.Sockets;

namespace Pastanoodles.Client;

/// <summary>A loopback port nothing listens on right now, for benchmark and test silos, gateways and "nothing answers here" tests.</summary>
/// <remarks>Taken below the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>): a port the OS picked from that
/// range is free when checked but can become the source port of any outgoing connection (a silo's to Redis, say) before the silo
/// binds it, which failed a silo start with "Address already in use". A port is never handed out twice by one process.</remarks>
public static class FreePorts
{
    static readonly HashSet<int> s_given = [];

    public static int Next()
    {
        var (low, high) = BelowEphemeral();
        lock (s_given)
        {
            for (var attempt = 0; attempt < 1000 && high > low; attempt++)
            {
                var port = Random.Shared.Next(low, high);
                if (!s_given.Contains(port) && CanListen(port))
                {
                    s_given.Add(port);
                    return port;
                }
            }
            using var listener = new TcpListener(IPAddress.Loopback, 0);   // no such range here: let the OS pick
            listener.Start();
            var picked = ((IPEndPoint)listener.LocalEndpoint).Port;
            s_given.Add(picked);
            return picked;
        }
    }

    /// <summary>Ports from 10000 up to the first ephemeral port; (0, 0) where the kernel does not say its range.</summary>
    static (int Low, int High) BelowEphemeral()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        if (!File.Exists(range))
            return (0, 0);
        var first = int.Parse(File.ReadAllText(range).Split(['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
        return first > 10_100 ? (10_000, first) : (0, 0);
    }

    static bool CanListen(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
