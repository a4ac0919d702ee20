using System.Net;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Serialization;
using Orleans.Storage;
using Pastanoodles.Cluster;

namespace Pastanoodles.Silo;

/// <summary>Wires a Pastanoodles silo: options, clustering, grain state on disk, the grains' services and the dashboard.</summary>
public static class SiloHostingExtensions
{
    /// <summary>Reads and validates <see cref="SiloOptions"/> (failing fast with every problem listed), then configures Orleans and Kestrel.</summary>
    public static WebApplicationBuilder AddPastanoodlesSilo(this WebApplicationBuilder builder, string[] args)
    {
        builder.Configuration.AddCommandLine(SiloOptions.ExpandSwitches(args), SiloOptions.SwitchMappings);
        var options = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
        var validation = new SiloOptionsValidator().Validate(null, options);
        if (validation.Failed)
            throw new OptionsValidationException(SiloOptions.Section, typeof(SiloOptions), validation.Failures);
        var silo = ResolvedSilo.From(options, TrainingHardware.Detect());
        const string S = SiloOptions.Section;
        var tls = options.UsesTls
            ? ClusterTls.Load(options.TlsCertificate!, options.TlsCertificateAuthority!, ($"{S}:{nameof(SiloOptions.TlsCertificate)}", $"{S}:{nameof(SiloOptions.TlsCertificateAuthority)}"))
            : null;
        // A refused password fails here within seconds, with Redis's own words; an unreachable Redis is waited for, as before.
        if (silo.Redis is { } store)
            store.ProbeAsync().GetAwaiter().GetResult();
        builder.AddPastanoodlesTelemetry(silo);

        builder.Services.AddSingleton(silo);
        builder.Services.AddSingleton<IValidateOptions<SiloOptions>, SiloOptionsValidator>();
        builder.Services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.Section).ValidateOnStart();
        // Kestrel serves only the dashboard; with the dashboard off it listens on a free loopback port nobody uses.
        builder.WebHost.UseUrls(options.DashboardUrl.Length > 0 ? options.DashboardUrl : "http://127.0.0.1:0");
        if (tls is not null)
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
            {
                // An exposed dashboard (https://) lets in only a browser or client holding a certificate signed by the cluster CA.
                https.ServerCertificate = tls.Certificate;
                https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate;
                https.ClientCertificateValidation = (certificate, _, _) => tls.IsSignedByCluster(certificate);
            }));
        builder.UseOrleans(orleans =>
        {
            if (silo.Redis is { } redis)
            {
                orleans.UseRedisCluster(options, redis);
                orleans.Services.AddHostedService<MembershipWatchdog>();
            }
            else
                orleans.UseLocalhostClustering(options.SiloPort, options.GatewayPort,
                    new IPEndPoint(IPAddress.Loopback, options.PrimarySiloPort ?? options.SiloPort), options.ServiceId, options.ClusterId);
            if (tls is not null)
                orleans.UseTls(tls.Certificate, tls.Configure);
            orleans.AddPastanoodles(silo, experiments =>
            {
                experiments.TrainingMemoryBudget = options.TrainingMemoryBudget ?? ExperimentOptions.DefaultMemoryBudget(silo.TrainingDevices.Count);
                experiments.WorkerHeartbeatTimeout = options.WorkerHeartbeatTimeout;
                experiments.MaxCrashes = options.MaxCrashes;
                experiments.AdmissionControl = options.AdmissionControl;
            });
            if (options.DashboardUrl.Length > 0)
                orleans.AddDashboard();
        });
        return builder;
    }

    /// <summary>Cluster mode: membership in Redis, this silo's endpoints on <see cref="SiloOptions.AdvertisedAddress"/>, and the
    /// membership timings of <see cref="SiloOptions"/> so that the survivors declare a killed silo dead within seconds.</summary>
    static ISiloBuilder UseRedisCluster(this ISiloBuilder orleans, SiloOptions options, RedisEndpoint redis)
    {
        orleans.Configure<ClusterOptions>(cluster => (cluster.ClusterId, cluster.ServiceId) = (options.ClusterId, options.ServiceId));
        var advertised = options.AdvertisedOrDefault!;
        var address = IPAddress.TryParse(advertised, out var ip) ? ip
            : Dns.GetHostAddresses(advertised).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
              ?? throw new ArgumentException($"Silo:AdvertisedAddress is '{advertised}', which resolves to no IPv4 address other silos could reach. " +
                  "---> HINT: set --advertise to this machine's IP address.");
        // Listen on every interface unless the address is loopback (one machine, tests): then nothing outside can connect.
        orleans.ConfigureEndpoints(address, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(address));
        orleans.UseRedisClustering(clustering => clustering.ConfigurationOptions = redis.ToConfigurationOptions());
        orleans.Configure<ClusterMembershipOptions>(membership =>
        {
            membership.ProbeTimeout = options.ProbeTimeout;
            membership.NumMissedProbesLimit = options.NumMissedProbesLimit;
            membership.TableRefreshTimeout = options.TableRefreshTimeout;
            membership.IAmAliveTablePublishTimeout = options.IAmAliveTablePublishTimeout;
        });
        return orleans;
    }

    /// <summary>Everything a Pastanoodles silo needs whatever its clustering: role metadata, grains, state, reminders, experiment options.
    /// The test cluster calls this too, so tests run the silo's own wiring.</summary>
    public static ISiloBuilder AddPastanoodles(this ISiloBuilder orleans, ResolvedSilo silo, Action<ExperimentOptions>? configure = null)
    {
        orleans.UseSiloMetadata(new Dictionary<string, string> { [SiloRoles.MetadataKey] = silo.Role });
        orleans.Services.AddPastanoodlesGrains(trains: silo.Role == SiloRoles.Gpu);
        orleans.Services.Configure<ExperimentOptions>(experiments =>
        {
            experiments.ArtifactsDirectory = silo.RunsDirectory;
            experiments.InputRoots = [.. silo.InputRoots];
            experiments.TrainingDevices = [.. silo.TrainingDevices];
            experiments.WorkerCommand = WorkerCommand();
            configure?.Invoke(experiments);
        });
        orleans.Services.PostConfigure<AnswerOptions>(answers =>
            answers.Device ??= silo.Role == SiloRoles.Gpu && silo.CudaAvailable ? silo.TrainingDevices[0] : "cpu");
        if (silo.Redis is { } redis)
        {
            // Orleans' own serializer: the state types carry [GenerateSerializer] ids, and it keeps NaN metrics and renames safe,
            // unlike the provider's default Newtonsoft JSON that stores CLR type names.
            orleans.AddRedisGrainStorage("store", storage => storage.Configure<Serializer>((o, serializer) =>
                (o.ConfigurationOptions, o.GrainStorageSerializer) = (redis.ToConfigurationOptions(), new OrleansGrainStorageSerializer(serializer))));
            orleans.UseRedisReminderService(reminders => reminders.ConfigurationOptions = redis.ToConfigurationOptions());
        }
        else
        {
            orleans.Services.AddFileGrainStorage("store", storage => storage.Directory = silo.StateDirectory);
            // One machine: reminders need not outlive the silo, because ResumeUnfinishedExperiments resumes runs at startup.
            orleans.UseInMemoryReminderService();
        }
        return orleans;
    }

    /// <summary>How a silo starts a training worker: this same binary in <c>worker</c> mode (see Program.cs), under the dotnet host running
    /// this silo. The silo, not the console, is the worker: every gpu silo's image already has it, and it needs nothing else.</summary>
    public static IList<string> WorkerCommand()
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        return [host, typeof(SiloHostingExtensions).Assembly.Location, "worker"];
    }

    /// <summary>Serves the dashboard (when configured) and logs what this silo is.</summary>
    public static WebApplication MapPastanoodlesSilo(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<SiloOptions>>().Value;
        var silo = app.Services.GetRequiredService<ResolvedSilo>();
        if (options.DashboardUrl.Length > 0)
            app.MapOrleansDashboard();
        if (options.Insecure && !options.UsesTls && options.ListensBeyondLoopback)
            app.Logger.LogWarning("INSECURE: --insecure is set and this silo listens beyond loopback ({Address}) without TLS: anyone who reaches ports {SiloPort} " +
                "and {GatewayPort} can call every grain. Use --tls-cert and --tls-ca (`pastanoodles cluster certs`) on any network others can reach.",
                options.AdvertisedOrDefault, options.SiloPort, options.GatewayPort);
        app.Logger.LogInformation(
            "Pastanoodles silo: role {Role}, training devices {Devices} ({Cuda}), cluster {Cluster} ({ClusterId}), data {Data}, artifacts {Artifacts}, silo port {SiloPort}, gateway {Gateway}, TLS {Tls}, dashboard {Dashboard}",
            silo.Role, string.Join(", ", silo.TrainingDevices), silo.CudaAvailable ? "CUDA found" : "no CUDA device", silo.Redis?.ToString() ?? "localhost",
            options.ClusterId, silo.DataDirectory, silo.ArtifactsDirectory, options.SiloPort, options.GatewayPort, options.UsesTls ? "on (client certificates required)" : "off",
            options.DashboardUrl.Length > 0 ? options.DashboardUrl : "off");
        return app;
    }
}

/// <summary>A silo's settings with every default decided: role, folders, training devices, and the Redis of cluster mode (null: one machine).</summary>
public sealed record ResolvedSilo(string Role, string DataDirectory, string ArtifactsDirectory, IReadOnlyList<string> TrainingDevices, bool CudaAvailable,
    RedisEndpoint? Redis = null)
{
    /// <summary><see cref="SiloOptions.InputRoots"/> as configured, made absolute; null when none are.</summary>
    public IReadOnlyList<string>? ConfiguredInputRoots { get; init; }

    /// <summary>The folders experiments read their inputs from: <see cref="ConfiguredInputRoots"/>, else the data and artifacts folders.</summary>
    public IReadOnlyList<string> InputRoots => ConfiguredInputRoots ?? [DataDirectory, ArtifactsDirectory];

    /// <summary>Grain state on local disk, with localhost clustering.</summary>
    public string StateDirectory => Path.Combine(DataDirectory, "state");

    /// <summary>One folder per run id, under the (shared) artifacts directory.</summary>
    public string RunsDirectory => Path.Combine(ArtifactsDirectory, "runs");

    public static ResolvedSilo From(SiloOptions options, TrainingHardware hardware)
    {
        var data = Path.GetFullPath(options.DataDirectory);
        var role = options.Role ?? (hardware.CudaDevices > 0 || options.Cluster == "localhost" ? SiloRoles.Gpu : SiloRoles.Cpu);
        IReadOnlyList<string> devices = options.TrainingDevices is { Count: > 0 } configured
            ? [.. configured]
            : hardware.CudaDevices > 0 ? [.. Enumerable.Range(0, hardware.CudaDevices).Select(i => $"cuda:{i}")] : ["cpu"];
        const string S = SiloOptions.Section;
        var redis = options.Redis?.WithSecrets(options.RedisPassword, options.RedisPasswordFile, options.RedisCertificateAuthority,
            ($"{S}:{nameof(SiloOptions.RedisPassword)}", $"{S}:{nameof(SiloOptions.RedisPasswordFile)}", $"{S}:{nameof(SiloOptions.RedisCertificateAuthority)}"));
        return new ResolvedSilo(role, data, Path.GetFullPath(options.ArtifactsDirectory ?? data), devices, hardware.CudaDevices > 0, redis)
        {
            ConfiguredInputRoots = options.InputRoots is { Count: > 0 } roots ? [.. roots.Select(Path.GetFullPath)] : null,
        };
    }
}

/// <summary>What TorchSharp sees on this machine.</summary>
public sealed record TrainingHardware(int CudaDevices)
{
    public static TrainingHardware None { get; } = new(0);

    /// <summary>Asks TorchSharp (<c>torch.cuda.is_available()</c>); a libtorch that does not load counts as no CUDA.</summary>
    public static TrainingHardware Detect()
    {
        try
        {
            return TorchSharp.torch.cuda.is_available() ? new(TorchSharp.torch.cuda.device_count()) : None;
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or NotSupportedException)
        {
            return None;
        }
    }
}
