using System.Net;
using System.Net.Sockets;

namespace Pastanoodles.Client;

/// <summary>A loopback port nothing listens on right now (the OS picks it), for benchmark and test silos, gateways and "nothing answers here" tests.</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
