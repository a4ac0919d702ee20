using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pastanoodles.Cluster;
using Pastanoodles.Training;
using Spectre.Console;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles experiment sweep FILE` and `experiment compare ID...`: a grid of runs over the cluster's gpu silos, and
/// their scores side by side. Added to the experiment command by <see cref="CommandCatalog"/>.</summary>
/// <remarks>The sweep only submits: each run's trainer is placed on a <c>gpu</c> silo, and each silo trains one run per device at a
/// time while the others wait in its queue (<see cref="TrainingSlots"/>), so the grid spreads over the gpu silos by itself.</remarks>
public static class SweepCommands
{
    /// <summary>Adds <c>sweep</c> and <c>compare</c> to <paramref name="experiment"/>, sharing its <c>--gateway</c> option.</summary>
    public static Command AddTo(Command experiment, ClusterConnection.Connector? connect = null)
    {
        connect ??= ClusterConnection.ConnectAsync;
        var gateway = experiment.Options.OfType<Option<int>>().Single(o => o.Name == "--gateway");
        experiment.Subcommands.Add(Sweep(connect, gateway));
        experiment.Subcommands.Add(Compare(connect, gateway));
        return experiment;
    }

    static Command Sweep(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var file = new Argument<FileInfo>("FILE")
        {
            Description = """A JSON object: {"base": {config keys}, "grid": {"beta": [0.1, 0.5], "learning_rate": [1e-3, 2e-3]}}; one run per combination.""",
        };
        var prefix = new Option<string?>("--prefix") { Description = "Run id prefix; runs are PREFIX-01, PREFIX-02, ... Default: the file's name and the time." };
        var command = new Command("sweep", "Submit one experiment per combination of the grid's values; prints their run ids.") { file, prefix };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(file)!;
            List<(string RunId, TrainingConfig Config, string Values)> runs = [];
            var checkedFirst = ExperimentCommands.CheckedFirst(connect, () => runs = Expand(path, parseResult.GetValue(prefix)));
            return ClusterCommandSupport.WithClusterAsync(parseResult, checkedFirst, gateway, cancellationToken, async (client, console) =>
            {
                var table = new Table().AddColumns("run id", "kind", "grid values", "state");
                foreach (var (runId, config, values) in runs)
                {
                    var status = await client.GetGrain<IExperimentGrain>(runId).SubmitAsync(new ExperimentSpec(runId, config.Task, config.ToJson()));
                    await parseResult.InvocationConfiguration.Output.WriteLineAsync(runId);
                    table.AddRow(Markup.Escape(runId), config.Task, Markup.Escape(values), status.State.ToString().ToLowerInvariant());
                }
                await parseResult.InvocationConfiguration.Error.WriteLineAsync(
                    $"submitted {runs.Count} runs; follow them with `pastanoodles experiment list`, compare them with `pastanoodles experiment compare {string.Join(" ", runs.Select(r => r.RunId))}`");
                ErrorConsole(parseResult).Write(table);
                return 0;
            });
        });
        return command;
    }

    static Command Compare(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var ids = new Argument<string[]>("ID") { Description = "Run ids.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("compare", "Runs side by side: the config keys that differ, state, test reward accuracy and MCQA accuracy.") { ids };
        command.SetAction((parseResult, cancellationToken) => ClusterCommandSupport.WithClusterAsync(parseResult, connect, gateway, cancellationToken,
            async (client, console) =>
            {
                var runIds = parseResult.GetValue(ids)!;
                var statuses = new List<(ExperimentStatus Status, JsonObject Config)>();
                foreach (var id in runIds)
                {
                    var grain = client.GetGrain<IExperimentGrain>(id);
                    var status = await grain.GetStatusAsync() ?? throw new ExperimentNotFoundException(id);
                    var spec = await grain.GetSpecAsync();
                    statuses.Add((status, JsonNode.Parse(spec?.ConfigJson ?? "{}") as JsonObject ?? []));
                }
                var differing = statuses.SelectMany(s => s.Config.Select(kv => kv.Key)).Distinct()
                    .Where(key => statuses.Select(s => s.Config[key]?.ToJsonString() ?? "").Distinct().Count() > 1).Order().ToList();
                var table = new Table().AddColumn("run id");
                foreach (var key in differing) table.AddColumn(Markup.Escape(key));
                table.AddColumns("kind", "state", "step", "test reward acc.", "MCQA acc.", "best checkpoint");
                foreach (var (status, config) in statuses)
                {
                    var (reward, mcqa) = Scores(status);
                    table.AddRow([Markup.Escape(status.RunId), .. differing.Select(key => Markup.Escape(config[key]?.ToJsonString().Trim('"') ?? "-")),
                        status.Kind, status.State.ToString().ToLowerInvariant(), $"{status.Step}/{status.TotalSteps}", Score(reward), Score(mcqa),
                        Markup.Escape(status.BestCheckpoint is { } best ? Path.GetFileName(best) : "-")]);
                }
                console.Write(table);
                return 0;
            }));
        return command;
    }

    /// <summary>Test reward accuracy (DPO runs) or letter accuracy (MCQA runs), each in its column: the best checkpoint's once the run completed, else the latest test pass.</summary>
    static (double? Reward, double? Mcqa) Scores(ExperimentStatus status)
    {
        var test = status.LatestMetrics.LastOrDefault(m => m.Split == Splits.Test)?.Values;
        double? Latest(string key) => test is not null && test.TryGetValue(key, out var v) ? v : null;
        var score = status.TestAccuracy ?? Latest(ExperimentKinds.AccuracyKey(status.Kind));
        return status.Kind == ExperimentKinds.Mcqa ? (null, score) : (score, null);
    }

    static string Score(double? value) => value?.ToString("0.000", CultureInfo.InvariantCulture) ?? "-";

    /// <summary>The grid's combinations in file order (the last key varies fastest), each base with the combination's values, parsed
    /// (a bad key or value names the run and the file) and with its paths made absolute.</summary>
    internal static List<(string RunId, TrainingConfig Config, string Values)> Expand(FileInfo file, string? prefix)
    {
        if (!file.Exists)
            throw new FileNotFoundException($"Sweep file '{file.FullName}' does not exist.", file.FullName);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file.FullName)) as JsonObject
                ?? throw new InvalidDataException($"Sweep file '{file.FullName}' must hold a JSON object with \"base\" and \"grid\".");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Sweep file '{file.FullName}' is not valid JSON: {ex.Message}", ex);
        }
        foreach (var key in root.Select(kv => kv.Key).Where(k => k is not ("base" or "grid")))
            throw new InvalidDataException($"Sweep file '{file.FullName}' has unknown key '{key}'. It may only have \"base\" (a config object) and \"grid\" (key -> list of values).");
        var baseConfig = root["base"] as JsonObject ?? throw new InvalidDataException($"Sweep file '{file.FullName}': \"base\" must be a JSON object of config keys.");
        var grid = root["grid"] as JsonObject ?? throw new InvalidDataException($"Sweep file '{file.FullName}': \"grid\" must be a JSON object, e.g. {{\"beta\": [0.1, 0.5]}}.");
        var axes = new List<(string Key, JsonNode?[] Values)>();
        foreach (var (key, values) in grid)
        {
            if (values is not JsonArray { Count: > 0 } array)
                throw new InvalidDataException($"Sweep file '{file.FullName}': grid key '{key}' is {values?.ToJsonString() ?? "null"}. It must be a non-empty list of values.");
            axes.Add((key, [.. array]));
        }
        IEnumerable<List<(string Key, JsonNode? Value)>> combinations = [[]];
        foreach (var (key, values) in axes)
            combinations = combinations.SelectMany(c => values.Select(v => (List<(string, JsonNode?)>)[.. c, (key, v)])).ToList();
        var stem = prefix ?? $"{ExperimentCommands.RunIdStem(file.Name)}-{DateTime.Now:yyyyMMdd-HHmmss}";
        var all = combinations.ToList();
        var width = Math.Max(2, all.Count.ToString(CultureInfo.InvariantCulture).Length);
        return [.. all.Select((combination, i) =>
        {
            var config = (JsonObject)baseConfig.DeepClone();
            foreach (var (key, value) in combination)
                config[key] = value?.DeepClone();
            var runId = $"{stem}-{(i + 1).ToString(CultureInfo.InvariantCulture).PadLeft(width, '0')}";
            var parsed = TrainingConfig.Parse(config.ToJsonString(), $"Sweep file '{file.FullName}', run {runId}").WithPathsResolved(file.DirectoryName!);
            return (runId, parsed, string.Join(" ", combination.Select(c => $"{c.Key}={c.Value?.ToJsonString()}")));
        })];
    }

    static IAnsiConsole ErrorConsole(ParseResult parseResult)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(parseResult.InvocationConfiguration.Error),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return console;
    }
}
