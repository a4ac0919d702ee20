using System.Diagnostics;

namespace Pastanoodles.Cluster;

/// <summary>Times the calls whose latency <see cref="PastanoodlesMetrics"/> reports, as they run in their grain: an ask
/// (<see cref="IAnswerGrain.AskAsync"/>) and a shard search (<see cref="IShardGrain.SearchAsync"/>). Every other call passes straight through.</summary>
/// <remarks>A filter rather than a stopwatch inside each grain: the timing is one idea in one place, and the grains stay about
/// answering and searching.</remarks>
public sealed class CallLatencyFilter(PastanoodlesMetrics metrics) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context) =>
        context.Grain switch
        {
            AnswerGrain when context.InterfaceMethod?.Name == nameof(IAnswerGrain.AskAsync) => TimedAsync(context),
            ShardGrain when context.InterfaceMethod?.Name == nameof(IShardGrain.SearchAsync) => TimedAsync(context),
            _ => context.Invoke(),
        };

    async Task TimedAsync(IIncomingGrainCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        Exception? error = null;
        try
        {
            await context.Invoke();
        }
        catch (Exception ex)
        {
            error = ex;
            throw;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (context.Grain is ShardGrain shard)
                metrics.RecordShardSearch(elapsed, shard.GetPrimaryKeyLong(), error);
            else
                metrics.RecordAsk(elapsed, (context.Request.GetArgument(0) as AnswerRequest)?.ExperimentId, error);
        }
    }
}
