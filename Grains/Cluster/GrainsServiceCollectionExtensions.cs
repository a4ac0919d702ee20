using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace Pastanoodles.Cluster;

/// <summary>Registers what the grains need on a silo: options, metrics, training slots, GPU placement, the startup resume, and the shard and answer grains' options and models.</summary>
public static class GrainsServiceCollectionExtensions
{
    /// <summary>Adds the grains' services. The silo configures <see cref="ExperimentOptions"/> and adds a "store" grain storage.</summary>
    /// <remarks>The training engine is registered here too, with <c>TryAdd</c> so tests can put their own first: <see cref="WorkerProcessRunner"/>
    /// (each attempt in a worker process) when <see cref="ExperimentOptions.WorkerCommand"/> is set, as the silo sets it, else <see cref="TrainingRunner"/> in process.</remarks>
    public static IServiceCollection AddPastanoodlesGrains(this IServiceCollection services)
    {
        services.AddOptions<ExperimentOptions>();
        services.AddMetrics();
        services.TryAddSingleton(provider => new PastanoodlesMetrics(provider.GetRequiredService<IMeterFactory>(),
            provider.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString()));
        services.AddSingleton<IIncomingGrainCallFilter, CallLatencyFilter>();
        services.TryAddSingleton(provider => provider.GetRequiredService<PastanoodlesMetrics>()
            .Observe(new TrainingSlots(provider.GetRequiredService<IOptions<ExperimentOptions>>().Value.TrainingDevices)));
        services.AddPlacementFilter<GpuOnlyFilterStrategy, GpuOnlyFilterDirector>(ServiceLifetime.Transient);
        services.AddPlacementDirector<LeastBusyGpuPlacementStrategy, LeastBusyGpuPlacementDirector>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ResumeUnfinishedExperiments>();
        services.TryAddSingleton<IExperimentRunner>(provider => provider.GetRequiredService<IOptions<ExperimentOptions>>() is { Value.WorkerCommand.Count: > 0 } options
            ? new WorkerProcessRunner(options)
            : new TrainingRunner());
        services.AddOptions<AnswerOptions>().BindConfiguration(AnswerOptions.Section);
        services.AddOptions<ShardOptions>().BindConfiguration(ShardOptions.Section);
        services.TryAddSingleton<SiloModels>();
        services.TryAddSingleton<ShardStatsCache>();
        services.TryAddSingleton<SiloEncoder>();
        return services;
    }
}
