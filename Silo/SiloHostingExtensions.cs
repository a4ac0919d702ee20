using System.Net;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Pastanoodles.Cluster;

namespace Pastanoodles.Silo;

/// <summary>Wires a Pastanoodles silo: options, clustering, grain state on disk, the grains' services and the dashboard.</summary>
public static class SiloHostingExtensions
{
    /// <summary>Reads and validates <see cref="SiloOptions"/> (failing fast with every problem listed), then configures Orleans and Kestrel.</summary>
    public static WebApplicationBuilder AddPastanoodlesSilo(this WebApplicationBuilder builder, string[] args)
    {
        builder.Configuration.AddCommandLine(args, SiloOptions.SwitchMappings);
        var options = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
        var validation = new SiloOptionsValidator().Validate(null, options);
        if (validation.Failed)
            throw new OptionsValidationException(SiloOptions.Section, typeof(SiloOptions), validation.Failures);
        var silo = ResolvedSilo.From(options, TrainingHardware.Detect());

        builder.Services.AddSingleton(silo);
        builder.Services.AddSingleton<IValidateOptions<SiloOptions>, SiloOptionsValidator>();
        builder.Services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.Section).ValidateOnStart();
        // Kestrel serves only the dashboard; with the dashboard off it listens on a free loopback port nobody uses.
        builder.WebHost.UseUrls(options.DashboardUrl.Length > 0 ? options.DashboardUrl : "http://127.0.0.1:0");
        builder.UseOrleans(orleans =>
        {
            orleans.UseLocalhostClustering(options.SiloPort, options.GatewayPort,
                new IPEndPoint(IPAddress.Loopback, options.PrimarySiloPort), options.ServiceId, options.ClusterId);
            orleans.AddPastanoodles(silo);
            if (options.DashboardUrl.Length > 0)
                orleans.AddDashboard();
        });
        return builder;
    }

    /// <summary>Everything a Pastanoodles silo needs whatever its clustering: role metadata, grains, file state, reminders, experiment options.
    /// The test cluster calls this too, so tests run the silo's own wiring.</summary>
    public static ISiloBuilder AddPastanoodles(this ISiloBuilder orleans, ResolvedSilo silo, Action<ExperimentOptions>? configure = null)
    {
        orleans.UseSiloMetadata(new Dictionary<string, string> { [SiloRoles.MetadataKey] = silo.Role });
        orleans.Services.AddPastanoodlesGrains();
        orleans.Services.Configure<ExperimentOptions>(experiments =>
        {
            experiments.ArtifactsDirectory = silo.ArtifactsDirectory;
            experiments.TrainingDevices = [.. silo.TrainingDevices];
            configure?.Invoke(experiments);
        });
        orleans.Services.AddFileGrainStorage("store", storage => storage.Directory = silo.StateDirectory);
        // One machine: reminders need not outlive the silo, because ResumeUnfinishedExperiments resumes runs at startup.
        orleans.UseInMemoryReminderService();
        return orleans;
    }

    /// <summary>Serves the dashboard (when configured) and logs what this silo is.</summary>
    public static WebApplication MapPastanoodlesSilo(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<SiloOptions>>().Value;
        var silo = app.Services.GetRequiredService<ResolvedSilo>();
        if (options.DashboardUrl.Length > 0)
            app.MapOrleansDashboard();
        app.Logger.LogInformation(
            "Pastanoodles silo: role {Role}, training devices {Devices} ({Cuda}), data {Data}, silo port {SiloPort}, gateway {Gateway}, dashboard {Dashboard}",
            silo.Role, string.Join(", ", silo.TrainingDevices), silo.CudaAvailable ? "CUDA found" : "no CUDA device",
            silo.DataDirectory, options.SiloPort, options.GatewayPort, options.DashboardUrl.Length > 0 ? options.DashboardUrl : "off");
        return app;
    }
}

/// <summary>A silo's settings with every default decided: role, folders and training devices.</summary>
public sealed record ResolvedSilo(string Role, string DataDirectory, string ArtifactsDirectory, IReadOnlyList<string> TrainingDevices, bool CudaAvailable)
{
    public string StateDirectory => Path.Combine(DataDirectory, "state");

    public static ResolvedSilo From(SiloOptions options, TrainingHardware hardware)
    {
        var data = Path.GetFullPath(options.DataDirectory);
        var role = options.Role ?? (hardware.CudaDevices > 0 || options.Cluster == "localhost" ? SiloRoles.Gpu : SiloRoles.Cpu);
        IReadOnlyList<string> devices = options.TrainingDevices is { Count: > 0 } configured
            ? [.. configured]
            : hardware.CudaDevices > 0 ? [.. Enumerable.Range(0, hardware.CudaDevices).Select(i => $"cuda:{i}")] : ["cpu"];
        return new ResolvedSilo(role, data, Path.GetFullPath(options.ArtifactsDirectory ?? Path.Combine(data, "runs")), devices, hardware.CudaDevices > 0);
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
