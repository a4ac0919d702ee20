using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace Pastanoodles.Cluster;

/// <summary>Registers what the grains need on a silo: options, metrics, training slots, the training queue's dispatcher, trainer placement, the startup resume, and the shard and answer grains' options and models.</summary>
public static class GrainsServiceCollectionExtensions
{
    /// <summary>Adds the grains' services. The silo configures <see cref="ExperimentOptions"/> and adds a "store" grain storage.
    /// <paramref name="trains"/>: a gpu silo, whose <see cref="TrainingDispatcher"/> takes runs from the cluster's training queue.</summary>
    /// <remarks>The training engine is registered here too, with <c>TryAdd</c> so tests can put their own first: <see cref="WorkerProcessRunner"/>
    /// (each attempt in a worker process) when <see cref="ExperimentOptions.WorkerCommand"/> is set, as the silo sets it, else <see cref="TrainingRunner"/> in process.</remarks>
    public static IServiceCollection AddPastanoodlesGrains(this IServiceCollection services, bool trains)
    {
        if (trains)
            services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, TrainingDispatcher>();
        services.AddOptions<ExperimentOptions>();
        services.AddMetrics();
        services.TryAddSingleton(provider => new PastanoodlesMetrics(provider.GetRequiredService<IMeterFactory>(),
            provider.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString()));
        services.AddSingleton<IIncomingGrainCallFilter, CallLatencyFilter>();
        services.TryAddSingleton(provider => provider.GetRequiredService<PastanoodlesMetrics>()
            .Observe(new TrainingSlots(provider.GetRequiredService<IOptions<ExperimentOptions>>().Value.TrainingDevices)));
        services.AddPlacementDirector<TrainerPlacementStrategy, TrainerPlacementDirector>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ResumeUnfinishedExperiments>();
        services.TryAddSingleton<IExperimentRunner>(provider => provider.GetRequiredService<IOptions<ExperimentOptions>>() is { Value.WorkerCommand.Count: > 0 } options
            ? new WorkerProcessRunner(options)
            : new TrainingRunner());
        services.AddOptions<AnswerOptions>().BindConfiguration(AnswerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AnswerOptions>, AnswerOptionsValidator>();
        services.AddOptions<ShardOptions>().BindConfiguration(ShardOptions.Section);
        services.TryAddSingleton<SiloModels>();
        services.TryAddSingleton<ShardStatsCache>();
        services.TryAddSingleton<SiloEncoder>();
        return services;
    }
}
