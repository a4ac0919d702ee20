using Pastanoodles.Cluster;

namespace Pastanoodles.Silo;

/// <summary>One silo's settings, bound from the <c>Silo</c> section (appsettings.json, <c>Silo__Role</c> environment variables, or
/// the switches in <see cref="SwitchMappings"/> on the command line).</summary>
public sealed class SiloOptions
{
    /// <summary>The silo's configuration section.</summary>
    public const string Section = "Silo";

    /// <summary><c>gpu</c> (hosts trainers, on CUDA when present, else on the CPU) or <c>cpu</c> (hosts everything but trainers).
    /// Default (unset): <c>gpu</c> when TorchSharp finds a CUDA device (<c>torch.cuda.is_available()</c>); without one, <c>gpu</c> with
    /// localhost clustering (a lone silo must be able to train) and <c>cpu</c> in cluster mode.</summary>
    public string? Role { get; set; }

    /// <summary>Root of everything this silo writes: grain state under <c>state/</c>, run artifacts under <c>runs/</c>.
    /// Default: <c>~/.local/share/pastanoodles</c> (<see cref="Environment.SpecialFolder.LocalApplicationData"/>).</summary>
    public string DataDirectory { get; set; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "pastanoodles");

    /// <summary>Root of the artifacts every silo must be able to read: run folders (checkpoints, adapters, plots) under <c>runs/</c>,
    /// index snapshots beside them. In cluster mode, a path every silo shares (NFS, a Kubernetes ReadWriteMany volume), set once
    /// for all silos. Default (unset): <see cref="DataDirectory"/>.</summary>
    public string? ArtifactsDirectory { get; set; }

    /// <summary>The only folders an experiment's input files (<c>model</c>, <c>train_file</c>, <c>eval_file</c>, <c>test_file</c>,
    /// <c>init_adapter</c>) may be read from, after symlinks are resolved; anything else is refused at submit. Default (empty):
    /// <see cref="DataDirectory"/> and <see cref="ArtifactsDirectory"/>.</summary>
    public IList<string> InputRoots { get; set; } = [];

    /// <summary>How silos find each other: <c>localhost</c> (one machine; the silo on <see cref="PrimarySiloPort"/> is the primary), or
    /// <c>redis://[user:password@]host:port</c> (cluster mode: membership, grain state and reminders in that Redis; an ACL user and a
    /// password when it has them), or <c>rediss://...</c> for Redis over TLS. Keep the password out of the URL (a command line shows in
    /// <c>ps</c>): use <see cref="RedisPassword"/> or <see cref="RedisPasswordFile"/>. Default: <c>localhost</c>.</summary>
    public string Cluster { get; set; } = "localhost";

    /// <summary>The Redis password when <see cref="Cluster"/> has none, e.g. from the environment variable <c>Silo__RedisPassword</c>
    /// (a Kubernetes Secret). Default: none.</summary>
    public string? RedisPassword { get; set; }

    /// <summary>A file holding the Redis password (a compose secret, <c>/run/secrets/redis-password</c>); read at startup. Default: none.</summary>
    public string? RedisPasswordFile { get; set; }

    /// <summary>With <c>rediss://</c>, the PEM file of the CA that signed the Redis server's certificate. Default: the system's trust store.</summary>
    public string? RedisCertificateAuthority { get; set; }

    /// <summary>This silo's certificate with its key (<c>silo.pfx</c> from <c>pastanoodles cluster certs</c>). With
    /// <see cref="TlsCertificateAuthority"/>, every Orleans link (silo to silo, client to gateway) runs over TLS and every peer must
    /// present a certificate signed by the cluster CA. Required when the silo listens beyond loopback, unless <see cref="Insecure"/>.
    /// Default: none (plain TCP, loopback only).</summary>
    public string? TlsCertificate { get; set; }

    /// <summary>The cluster CA's certificate (<c>ca.crt</c>) that every silo's and client's certificate must chain to. Default: none.</summary>
    public string? TlsCertificateAuthority { get; set; }

    /// <summary>Let a silo that listens beyond loopback run without TLS: anyone who reaches its ports can then call every grain. Only for
    /// a network that nobody else can reach. Set with the bare switch <c>--insecure</c>. Default: false.</summary>
    public bool Insecure { get; set; }

    /// <summary>In cluster mode, the IP address or host name other silos and clients reach this silo at (the pod IP in Kubernetes).
    /// Default (unset): 127.0.0.1 when Redis is on a loopback address, else this machine's host name. Unused with <c>localhost</c>.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Orleans cluster id; silos and clients must agree. Default: <c>pastanoodles</c>.</summary>
    public string ClusterId { get; set; } = "pastanoodles";

    /// <summary>Orleans service id; keys the grain state, so it must stay the same across restarts. Default: <c>pastanoodles</c>.</summary>
    public string ServiceId { get; set; } = "pastanoodles";

    /// <summary>Silo-to-silo port. Default: 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port clients connect to. Default: 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>With localhost clustering, the silo port of the primary silo that the others join. Default (unset): this silo's own
    /// <see cref="SiloPort"/>, so a lone silo is its own primary.</summary>
    public int? PrimarySiloPort { get; set; }

    /// <summary>Where the Orleans Dashboard listens. On a loopback address it is plain http with no authentication; on any other address
    /// it must be <c>https://</c> with <see cref="TlsCertificate"/> set, and then it serves the silo's certificate and lets in only a
    /// browser or client that presents a certificate signed by the cluster CA (the client .pfx). Empty: no dashboard.
    /// Default: <c>http://127.0.0.1:8080</c>.</summary>
    public string DashboardUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>In cluster mode, how long a silo waits for a probe's answer before counting it missed (Orleans
    /// <c>ClusterMembershipOptions.ProbeTimeout</c>; Orleans' own default is 5 s). With the defaults here a killed silo is declared dead
    /// in a few seconds; raise them on congested networks, where short timeouts evict slow but live silos. Default: 2 s.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>In cluster mode, missed probes in a row before a silo votes another dead (Orleans' default is 3). Default: 2.</summary>
    public int NumMissedProbesLimit { get; set; } = 2;

    /// <summary>In cluster mode, how often each silo re-reads the membership table (Orleans' default is 60 s). Default: 2 s.</summary>
    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>In cluster mode, how often each silo writes its I-am-alive time to the table (Orleans' default is 30 s). Default: 5 s.</summary>
    public TimeSpan IAmAliveTablePublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Devices this silo trains on, one run at a time each (<c>cpu</c>, <c>cuda:0</c>, ...).
    /// Default (unset): every CUDA device TorchSharp finds, else <c>cpu</c>.</summary>
    public IList<string>? TrainingDevices { get; set; }

    /// <summary>Bytes of memory (RSS) one training worker process may use before it is killed and its attempt fails.
    /// Default (unset): 80% of this machine's memory divided by the number of training devices.</summary>
    public long? TrainingMemoryBudget { get; set; }

    /// <summary>A training worker that sends no heartbeat for this long (stopped, hung) is killed and its attempt fails. Default: 30 s.</summary>
    public TimeSpan WorkerHeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts of one run that may crash (worker killed by a signal, over its memory budget, silent) before the run fails
    /// for good instead of being retried. Default: 2.</summary>
    public int MaxCrashes { get; set; } = 2;

    /// <summary>Refuse at submit a run whose sizes do not fit its model or whose estimated peak memory is over
    /// <see cref="TrainingMemoryBudget"/>. Turn off only to test what a silo does without it. Default: true.</summary>
    public bool AdmissionControl { get; set; } = true;

    /// <summary>Command-line switches and the keys they set.</summary>
    public static IDictionary<string, string> SwitchMappings { get; } = new Dictionary<string, string>
    {
        ["--role"] = $"{Section}:{nameof(Role)}",
        ["--data"] = $"{Section}:{nameof(DataDirectory)}",
        ["--port"] = $"{Section}:{nameof(SiloPort)}",
        ["--gateway"] = $"{Section}:{nameof(GatewayPort)}",
        ["--dashboard"] = $"{Section}:{nameof(DashboardUrl)}",
        ["--otlp"] = $"{TelemetryOptions.Section}:{nameof(TelemetryOptions.OtlpEndpoint)}",
        ["--cluster"] = $"{Section}:{nameof(Cluster)}",
        ["--cluster-id"] = $"{Section}:{nameof(ClusterId)}",
        ["--service-id"] = $"{Section}:{nameof(ServiceId)}",
        ["--artifacts"] = $"{Section}:{nameof(ArtifactsDirectory)}",
        ["--advertise"] = $"{Section}:{nameof(AdvertisedAddress)}",
        ["--primary-port"] = $"{Section}:{nameof(PrimarySiloPort)}",
        ["--tls-cert"] = $"{Section}:{nameof(TlsCertificate)}",
        ["--tls-ca"] = $"{Section}:{nameof(TlsCertificateAuthority)}",
        [InsecureSwitch] = $"{Section}:{nameof(Insecure)}",
    };

    /// <summary>The bare switch for <see cref="Insecure"/> (no value; <see cref="ExpandSwitches"/> gives it one).</summary>
    public const string InsecureSwitch = "--insecure";

    /// <summary>The command line with the bare <c>--insecure</c> turned into <c>--insecure true</c>, since the configuration's
    /// command-line reader would otherwise take the next argument as its value.</summary>
    public static string[] ExpandSwitches(string[] args) => [.. args.SelectMany(a => a == InsecureSwitch ? [a, "true"] : new[] { a })];

    /// <summary>The address this silo advertises in cluster mode: <see cref="AdvertisedAddress"/>, else 127.0.0.1 when Redis is on
    /// loopback, else this machine's host name. Null with localhost clustering (always loopback).</summary>
    public string? AdvertisedOrDefault => Redis is { } redis ? AdvertisedAddress ?? (redis.IsLoopback ? "127.0.0.1" : System.Net.Dns.GetHostName()) : null;

    /// <summary>True when this silo's ports can be reached from other machines: cluster mode with a non-loopback advertised address.</summary>
    public bool ListensBeyondLoopback => AdvertisedOrDefault is { } address
        && !(address == "localhost" || System.Net.IPAddress.TryParse(address, out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>True when TLS certificates are configured.</summary>
    public bool UsesTls => !string.IsNullOrEmpty(TlsCertificate) || !string.IsNullOrEmpty(TlsCertificateAuthority);

    /// <summary>The Redis of cluster mode, or null with <c>localhost</c> clustering; throws <see cref="FormatException"/> for anything else.</summary>
    public RedisEndpoint? Redis => RedisEndpoint.Parse(Cluster, $"{Section}:{nameof(Cluster)}");
}
