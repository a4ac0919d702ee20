using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pastanoodles.Cluster;

/// <summary>What a supervisor sends a training worker on its stdin, as one JSON line: the attempt to run and how often to beat.</summary>
/// <param name="Request">The attempt, with the device as the worker sees it (<c>cpu</c>, or <c>cuda:0</c> under <c>CUDA_VISIBLE_DEVICES</c>).</param>
/// <param name="HeartbeatInterval">How often the worker writes a heartbeat line.</param>
public sealed record WorkerRequest(RunRequest Request, TimeSpan HeartbeatInterval);

/// <summary>One line a training worker writes on its stdout. <see cref="Type"/> says which fields are set.</summary>
/// <remarks>The protocol, one JSON object per line (torchrun's agent and Ray's workers report the same way, over a pipe):
/// <c>heartbeat</c>; <c>step</c> (<see cref="Step"/>, <see cref="TotalSteps"/>); <c>metrics</c> (<see cref="Metrics"/>);
/// <c>checkpoint</c> (<see cref="Checkpoint"/>, written completely before it is sent); then exactly one of <c>outcome</c>
/// (<see cref="Outcome"/>, exit code 0) or <c>error</c> (<see cref="Error"/>: an exception the engine threw, exit code 1).
/// A worker that ends without either crashed.</remarks>
public sealed record WorkerMessage(string Type, int Step = 0, int TotalSteps = 0, MetricPoint? Metrics = null, CheckpointInfo? Checkpoint = null,
    RunOutcome? Outcome = null, string? Error = null)
{
    public const string Heartbeat = "heartbeat", StepType = "step", MetricsType = "metrics", CheckpointType = "checkpoint", OutcomeType = "outcome", ErrorType = "error";

    /// <summary>Camel case, NaN allowed (a grad norm without clipping is NaN), nulls left out.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
