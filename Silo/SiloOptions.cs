namespace Pastanoodles.Silo;

/// <summary>One silo's settings, bound from the <c>Silo</c> section (appsettings.json, <c>Silo__Role</c> environment variables, or
/// <c>--role</c>, <c>--data</c>, <c>--port</c>, <c>--gateway</c>, <c>--dashboard</c>, <c>--cluster</c> on the command line).</summary>
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

    /// <summary>Where runs without their own output directory keep checkpoints, adapters and plots.
    /// Default (unset): <c>{DataDirectory}/runs</c>. In cluster mode, a path every silo shares.</summary>
    public string? ArtifactsDirectory { get; set; }

    /// <summary>How silos find each other: <c>localhost</c> (one machine; the silo on <see cref="PrimarySiloPort"/> is the primary).
    /// Cluster mode (<c>redis://host:port</c>) comes later. Default: <c>localhost</c>.</summary>
    public string Cluster { get; set; } = "localhost";

    /// <summary>Orleans cluster id; silos and clients must agree. Default: <c>pastanoodles</c>.</summary>
    public string ClusterId { get; set; } = "pastanoodles";

    /// <summary>Orleans service id; keys the grain state, so it must stay the same across restarts. Default: <c>pastanoodles</c>.</summary>
    public string ServiceId { get; set; } = "pastanoodles";

    /// <summary>Silo-to-silo port. Default: 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port clients connect to. Default: 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>With localhost clustering, the silo port of the primary silo that the others join. Default: 11111.</summary>
    public int PrimarySiloPort { get; set; } = 11111;

    /// <summary>Where the Orleans Dashboard listens; it has no authentication, so only loopback addresses are accepted.
    /// Empty: no dashboard. Default: <c>http://127.0.0.1:8080</c>.</summary>
    public string DashboardUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Devices this silo trains on, one run at a time each (<c>cpu</c>, <c>cuda:0</c>, ...).
    /// Default (unset): every CUDA device TorchSharp finds, else <c>cpu</c>.</summary>
    public IList<string>? TrainingDevices { get; set; }

    /// <summary>Command-line switches and the keys they set.</summary>
    public static IDictionary<string, string> SwitchMappings { get; } = new Dictionary<string, string>
    {
        ["--role"] = $"{Section}:{nameof(Role)}",
        ["--data"] = $"{Section}:{nameof(DataDirectory)}",
        ["--port"] = $"{Section}:{nameof(SiloPort)}",
        ["--gateway"] = $"{Section}:{nameof(GatewayPort)}",
        ["--dashboard"] = $"{Section}:{nameof(DashboardUrl)}",
        ["--cluster"] = $"{Section}:{nameof(Cluster)}",
    };
}
