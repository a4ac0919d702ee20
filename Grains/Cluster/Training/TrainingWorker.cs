using System.Text.Json;

namespace Pastanoodles.Cluster;

/// <summary>The worker side of a training attempt: reads a <see cref="WorkerRequest"/> on stdin, runs <see cref="TrainingRunner"/> in this
/// process and writes <see cref="WorkerMessage"/> lines on stdout, with a heartbeat from its own thread. The silo's <c>worker</c> mode.</summary>
/// <remarks>Only protocol lines go to stdout: <see cref="Console.Out"/> is sent to stderr, which the supervisor keeps the tail of.
/// A native abort or an out-of-memory kill ends this process, never the silo that started it; the silo's death ends it too (<see cref="WorkerLifeline"/>).</remarks>
public static class TrainingWorker
{
    public static int Run(TextReader input, Stream output)
    {
        var protocol = new StreamWriter(output) { AutoFlush = true };
        Console.SetOut(Console.Error);
        if (!WorkerLifeline.DieWithSilo())
            return 3;
        var line = input.ReadLine() ?? throw new InvalidDataException("The training worker got no request on stdin: it is started by a gpu silo, not by hand.");
        var request = JsonSerializer.Deserialize<WorkerRequest>(line, WorkerMessage.Json)!;
        WorkerLifeline.ExitWhenClosed(input);
        var sender = new Sender(protocol);
        using var heartbeat = new Timer(_ => sender.Send(new WorkerMessage(WorkerMessage.Heartbeat)), null, TimeSpan.Zero, request.HeartbeatInterval);
        try
        {
            var outcome = new TrainingRunner().RunAsync(request.Request, sender, CancellationToken.None).GetAwaiter().GetResult();
            sender.Send(new WorkerMessage(WorkerMessage.OutcomeType, Outcome: outcome));
            return 0;
        }
        catch (Exception ex)
        {
            sender.Send(new WorkerMessage(WorkerMessage.ErrorType, Error: $"{ex.GetType().Name}: {ex.Message}"));
            return 1;
        }
    }

    sealed class Sender(StreamWriter protocol) : IRunProgress
    {
        public void Send(WorkerMessage message)
        {
            var json = JsonSerializer.Serialize(message, WorkerMessage.Json);
            lock (protocol)
                protocol.WriteLine(json);
        }

        public void ReportStep(int step, int totalSteps) => Send(new WorkerMessage(WorkerMessage.StepType, step, totalSteps));

        public void ReportMetrics(MetricPoint point) => Send(new WorkerMessage(WorkerMessage.MetricsType, Metrics: point));

        public void ReportCheckpoint(CheckpointInfo checkpoint) => Send(new WorkerMessage(WorkerMessage.CheckpointType, Checkpoint: checkpoint));
    }
}
