using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pastanoodles.Cluster;
using Pastanoodles.Training;
using Spectre.Console;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles experiment ...`: submit training runs to the cluster, list them, follow one, cancel one.</summary>
public static partial class ExperimentCommands
{
    public static Command Create(ClusterConnection.Connector? connect = null)
    {
        connect ??= ClusterConnection.ConnectAsync;
        var gateway = ClusterCommandSupport.GatewayOption();
        var experiment = new Command("experiment", "Training runs on the cluster: submit, list, status, cancel, plot, sweep, compare.") { gateway };
        experiment.Subcommands.Add(Submit(connect, gateway));
        experiment.Subcommands.Add(List(connect, gateway));
        experiment.Subcommands.Add(Status(connect, gateway));
        experiment.Subcommands.Add(Cancel(connect, gateway));
        experiment.Subcommands.Add(Plot(connect, gateway));
        return experiment;
    }

    static Command Submit(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The experiment config, a JSON object (the trainer's keys: beta, learning_rate, ...)." };
        var kind = new Option<string?>("--kind") { Description = "Which trainer runs it. Default: the file's \"task\", else dpo." };
        kind.AcceptOnlyFromAmong([.. ExperimentKinds.All]);
        var id = new Option<string?>("--id") { Description = "Run id. Default: the file's name, the time and a random suffix." };
        var command = new Command("submit", "Submit an experiment; prints its run id. Its checkpoints, adapters and plots go to the silos' " +
            "artifacts, runs/ID; its files must be under the silos' input roots (their data and artifacts folders).") { file, kind, id };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(file)!;
            TrainingConfig config = null!;
            var checkedFirst = CheckedFirst(connect, () =>
            {
                var loaded = TrainingConfig.Load(path.FullName);
                config = loaded with { Task = parseResult.GetValue(kind) ?? loaded.Task };
            });
            return ClusterCommandSupport.WithClusterAsync(parseResult, checkedFirst, gateway, cancellationToken, async (client, console) =>
            {
                var runId = parseResult.GetValue(id) ?? NewRunId(path.Name);
                var spec = new ExperimentSpec(runId, config.Task, config.ToJson());
                var status = await client.GetGrain<IExperimentGrain>(runId).SubmitAsync(spec);
                await parseResult.InvocationConfiguration.Output.WriteLineAsync(runId);
                if (status.MemoryEstimate is { } estimate)
                    await parseResult.InvocationConfiguration.Error.WriteLineAsync($"estimated peak memory: {estimate}");
                await parseResult.InvocationConfiguration.Error.WriteLineAsync(
                    $"submitted {runId} ({spec.Kind}, {status.State.ToString().ToLowerInvariant()}); follow it with `pastanoodles experiment status {runId}`");
                return 0;
            });
        });
        return command;
    }

    static Command List(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var command = new Command("list", "List every experiment with its state, progress and test reward accuracy.");
        command.SetAction((parseResult, cancellationToken) => ClusterCommandSupport.WithClusterAsync(parseResult, connect, gateway, cancellationToken,
            async (client, console) =>
            {
                var runIds = await client.GetGrain<IExperimentCatalogGrain>(IExperimentCatalogGrain.Key).ListAsync();
                if (runIds.Count == 0)
                {
                    console.WriteLine("no experiments yet; submit one with `pastanoodles experiment submit FILE`");
                    return 0;
                }
                var statuses = await Task.WhenAll(runIds.Select(id => client.GetGrain<IExperimentGrain>(id).GetStatusAsync().AsTask()));
                var waiting = await WaitingAsync(client);
                var table = new Table().AddColumns("run id", "kind", "state", "step", "latest metrics", "test reward acc.", "submitted");
                foreach (var status in statuses.OfType<ExperimentStatus>())
                {
                    var state = QueuePosition(waiting, status) is { } position ? $"{StateText(status.State)} #{position}" : StateText(status.State);
                    table.AddRow(Markup.Escape(status.RunId), status.Kind, state, $"{status.Step}/{status.TotalSteps}",
                        Markup.Escape(MetricsText(status.LatestMetrics.LastOrDefault(m => m.Split != Splits.Test))),
                        status.TestAccuracy?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-",
                        status.SubmittedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"));
                }
                console.Write(table);
                return 0;
            }));
        return command;
    }

    static Command Status(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var runId = new Argument<string>("ID") { Description = "The run id." };
        var noFollow = new Option<bool>("--no-follow") { Description = "Print the status once, even while the run goes on." };
        var poll = new Option<int>("--poll-ms") { Description = "How often to ask for progress while following a run, in milliseconds.", DefaultValueFactory = _ => 500, Hidden = true };
        var command = new Command("status", "Show a run; while it runs, a live progress bar with its latest metrics.") { runId, noFollow, poll };
        command.SetAction((parseResult, cancellationToken) => ClusterCommandSupport.WithClusterAsync(parseResult, connect, gateway, cancellationToken,
            async (client, console) =>
            {
                var id = parseResult.GetValue(runId)!;
                var grain = client.GetGrain<IExperimentGrain>(id);
                var status = await grain.GetStatusAsync() ?? throw new ExperimentNotFoundException(id);
                if (!parseResult.GetValue(noFollow) && !status.State.IsFinal())
                    status = await FollowAsync(grain, status, console, TimeSpan.FromMilliseconds(Math.Max(1, parseResult.GetValue(poll))), cancellationToken);
                console.Write(Summary(status, QueuePosition(await WaitingAsync(client), status)));
                return status.State == RunState.Failed ? 2 : 0;
            }));
        return command;
    }

    static Command Cancel(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var runId = new Argument<string>("ID") { Description = "The run id." };
        var command = new Command("cancel", "Cancel a queued or running run.") { runId };
        command.SetAction((parseResult, cancellationToken) => ClusterCommandSupport.WithClusterAsync(parseResult, connect, gateway, cancellationToken,
            async (client, console) =>
            {
                var id = parseResult.GetValue(runId)!;
                var before = await client.GetGrain<IExperimentGrain>(id).GetStatusAsync() ?? throw new ExperimentNotFoundException(id);
                var after = await client.GetGrain<IExperimentGrain>(id).CancelAsync();
                console.WriteLine(before.State.IsFinal()
                    ? $"{id} had already {StateText(before.State)}; nothing to cancel"
                    : $"cancelled {id} at step {after.Step}/{after.TotalSteps}");
                return 0;
            }));
        return command;
    }

    static Command Plot(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var runId = new Argument<string>("ID") { Description = "The run id." };
        var output = new Option<string>("--out") { Description = "Folder for loss.png, accuracy.png and metrics.jsonl.", Required = true };
        var command = new Command("plot", "Draw a run's training curves (loss and reward accuracy, train/eval/test) from the metrics the cluster holds.") { runId, output };
        command.SetAction((parseResult, cancellationToken) => ClusterCommandSupport.WithClusterAsync(parseResult, connect, gateway, cancellationToken,
            async (client, console) =>
            {
                var id = parseResult.GetValue(runId)!;
                var grain = client.GetGrain<IExperimentGrain>(id);
                var status = await grain.GetStatusAsync() ?? throw new ExperimentNotFoundException(id);
                var points = await grain.GetMetricsAsync(0);
                if (points.Count == 0)
                    throw new ArgumentException($"{id} has logged no metrics yet ({StateText(status.State)}); plot it once it has run a step.");
                var folder = Path.GetFullPath(parseResult.GetValue(output)!);
                Directory.CreateDirectory(folder);
                var records = points.Select(p => new Pastanoodles.Training.MetricRecord(p.Step, p.Split, 0, p.Values)).ToList();
                var log = new Pastanoodles.Training.MetricsLog(Path.Combine(folder, "metrics.jsonl"));
                File.Delete(log.Path);
                foreach (var record in records) log.Append(record);
                var files = TrainingPlots.Write(records, folder, status.Kind);
                console.WriteLine($"{points.Count} metric points of {id} ({StateText(status.State)}, step {status.Step}/{status.TotalSteps})");
                foreach (var file in files.Append(log.Path)) console.WriteLine($"wrote {file}");
                return 0;
            }));
        return command;
    }

    /// <summary>A progress bar fed by polling the experiment until its run is final.</summary>
    static async Task<ExperimentStatus> FollowAsync(IExperimentGrain grain, ExperimentStatus status, IAnsiConsole console, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var bar = context.AddTask(Markup.Escape(ProgressText(status)), maxValue: Math.Max(status.TotalSteps, 1));
                while (!status.State.IsFinal())
                {
                    await Task.Delay(pollInterval, cancellationToken);
                    status = await grain.GetStatusAsync() ?? status;
                    bar.MaxValue = Math.Max(status.TotalSteps, 1);
                    bar.Value = status.Step;
                    bar.Description = Markup.Escape(ProgressText(status));
                }
                bar.StopTask();
            });
        return status;
    }

    static string ProgressText(ExperimentStatus status) =>
        $"{status.RunId} {status.State.ToString().ToLowerInvariant()} {status.Step}/{status.TotalSteps} {MetricsText(status.LatestMetrics.LastOrDefault(m => m.Split != Splits.Test))}".TrimEnd();

    /// <summary>The runs waiting in the cluster's training queue, head first.</summary>
    static async Task<List<string>> WaitingAsync(IClusterClient client) =>
        [.. await client.GetGrain<ITrainingQueueGrain>(ITrainingQueueGrain.Key).GetWaitingAsync()];

    /// <summary>"3 of 5": a queued run's place in the cluster's training queue; null if it is not waiting there.</summary>
    static string? QueuePosition(List<string> waiting, ExperimentStatus status) =>
        status.State == RunState.Queued && waiting.IndexOf(status.RunId) is var index and >= 0 ? $"{index + 1} of {waiting.Count}" : null;

    static Grid Summary(ExperimentStatus status, string? queuePosition)
    {
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string name, string? value) => grid.AddRow(name, Markup.Escape(value ?? "-"));
        Row("run id", status.RunId);
        Row("kind", status.Kind);
        Row("state", StateText(status.State));
        Row("step", $"{status.Step}/{status.TotalSteps}");
        Row("silo", status.Silo);
        Row("attempts", status.Attempts.ToString());
        if (queuePosition is not null)
            Row("queue position", $"{queuePosition} in the cluster's training queue");
        foreach (var point in status.LatestMetrics)
            Row($"{point.Split} metrics", $"step {point.Step}: {MetricsText(point)}");
        Row("checkpoints", status.Checkpoints.Count == 0 ? null : $"{status.Checkpoints.Count}, last {status.Checkpoints[^1].Path}");
        Row("best checkpoint", status.BestCheckpoint);
        Row($"test {ExperimentKinds.AccuracyLabel(status.Kind)}", status.TestAccuracy?.ToString("0.000", CultureInfo.InvariantCulture));
        Row("adapter", status.FinalAdapter);
        Row(status.State == RunState.Queued ? "waiting" : "error", status.Error);
        Row("submitted", status.SubmittedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"));
        Row("finished", status.FinishedAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"));
        return grid;
    }

    static string StateText(RunState state) => state.ToString().ToLowerInvariant();

    static string MetricsText(MetricPoint? point) =>
        point is null ? "" : string.Join(" ", point.Values.Take(4).Select(kv => $"{kv.Key}={kv.Value.ToString("0.####", CultureInfo.InvariantCulture)}"));

    /// <summary>Runs <paramref name="check"/> before connecting, so a bad input file fails at once instead of waiting for a cluster.</summary>
    internal static ClusterConnection.Connector CheckedFirst(ClusterConnection.Connector connect, Action check) => (address, cancellationToken) =>
    {
        check();
        return connect(address, cancellationToken);
    };

    /// <summary>A run id from a file name: its stem with anything but letters, digits, '.', '_' and '-' made '-' (the sweep's prefix too).</summary>
    internal static string RunIdStem(string fileName) =>
        UnsafeRunIdCharacters().Replace(Path.GetFileNameWithoutExtension(fileName), "-").Trim('-', '.', '_');

    static string NewRunId(string fileName)
    {
        var stem = RunIdStem(fileName);
        stem = stem.Length == 0 ? "run" : stem[..Math.Min(stem.Length, 40)];
        return $"{stem}-{DateTime.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";
    }

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex UnsafeRunIdCharacters();
}
