using System.CommandLine;
using Pastanoodles.Retrieval.Evaluation;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles quickstart`: the whole application on this machine in a few minutes, through the same commands a user types.</summary>
/// <remarks>
/// Starts a local silo process when none answers on the gateway, ingests the sample course PDFs, runs a short DPO
/// experiment of <c>tiny</c> on synthetic data with live progress, prints its test reward accuracy, writes the
/// training plots, answers the sample questions with the run's best adapter and their sources, and says where the
/// dashboard is. Each step is a cluster command run in-process, so what the quickstart shows is what they do.
/// </remarks>
public static class QuickstartCommands
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data folder for a silo the quickstart starts.", DefaultValueFactory = _ => DefaultData() };
        var questions = new Option<int>("--questions") { Description = "Sample questions to answer.", DefaultValueFactory = _ => 4 };
        var gateway = ClusterCommandSupport.GatewayOption();
        var siloPort = new Option<int>("--silo-port") { Description = "Silo port for a silo the quickstart starts.", DefaultValueFactory = _ => 11111 };
        var dashboard = new Option<string>("--dashboard") { Description = "Dashboard URL for a silo the quickstart starts (loopback).", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var command = new Command("quickstart", "Start a local silo if needed, ingest the sample corpus, train tiny with DPO, plot, and answer sample questions.")
        {
            data, questions, gateway, siloPort, dashboard,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            string root;
            try { root = LocalSilo.RepositoryRoot(); }
            catch (InvalidOperationException ex) { await error.WriteLineAsync($"error: {ex.Message}"); return 1; }
            var port = parseResult.GetValue(gateway);
            var config = parseResult.InvocationConfiguration;

            async Task<int> Run(string title, params string[] args)
            {
                await output.WriteLineAsync($"\n== {title}\n$ pastanoodles {string.Join(' ', args.Select(Quote))}");
                var code = await Root().Parse([.. args, "--gateway", port.ToString()]).InvokeAsync(config, cancellationToken);
                if (code != 0) await error.WriteLineAsync($"quickstart stopped: `{args[0]} {args[1]}` failed (exit {code}).");
                return code;
            }

            await output.WriteLineAsync("== silo");
            LocalSilo.Started? started = null;
            if (!await ReachableAsync(port, cancellationToken))
            {
                started = await LocalSilo.StartAsync(parseResult.GetValue(data)!, port, parseResult.GetValue(siloPort), parseResult.GetValue(dashboard)!, output, cancellationToken);
                if (!await WaitReachableAsync(port, TimeSpan.FromMinutes(3), cancellationToken))
                {
                    await error.WriteLineAsync($"error: the silo did not open its gateway on port {port} within 3 minutes; see {started.LogFile}");
                    return 1;
                }
            }
            else
                await output.WriteLineAsync($"a silo already answers on gateway {port}; using it");

            var runId = $"quickstart-{DateTime.Now:yyyyMMdd-HHmmss}";
            var plots = Path.Combine(parseResult.GetValue(data)!, "quickstart-plots");
            if (await Run("ingest the sample course PDFs", "corpus", "ingest", Path.Combine(root, "samples", "corpus"), "--replace") != 0) return 1;
            if (await Run("train tiny with DPO on synthetic preference pairs", "experiment", "submit", Path.Combine(root, "samples", "experiments", "dpo-tiny.json"), "--id", runId) != 0) return 1;
            if (await Run("follow the run (test reward accuracy at the end)", "experiment", "status", runId) != 0) return 1;
            if (await Run("training curves", "experiment", "plot", runId, "--out", plots) != 0) return 1;
            await output.WriteLineAsync("\n(tiny is a 2-layer model with random weights trained for seconds: its letters show the pipeline, not knowledge;\n a Phi-2 folder as the silo's Answer:Model answers for real)");
            foreach (var question in SampleQuestions(root, parseResult.GetValue(questions)))
                if (await Run("answer a sample question with the run's best adapter", "ask", question, "--experiment", runId) != 0) return 1;

            await output.WriteLineAsync($"\n== done\ndashboard: {(started is null ? "http://127.0.0.1:8080 (the running silo's --dashboard)" : parseResult.GetValue(dashboard))} (grains, silos, calls)\nplots: {plots}");
            if (started is not null)
                await output.WriteLineAsync($"the silo keeps running (pid {started.ProcessId}, log {started.LogFile}); stop it with `kill {started.ProcessId}`");
            return 0;
        });
        return command;
    }

    static RootCommand Root()
    {
        var root = new RootCommand();
        foreach (var command in CommandCatalog.All().Where(c => c.Name != "quickstart")) root.Subcommands.Add(command);
        return root;
    }

    /// <summary>The first <paramref name="count"/> questions of samples/questions.jsonl, with their options, as `ask` takes them.</summary>
    static IEnumerable<string> SampleQuestions(string root, int count) =>
        RetrievalQuestionReader.Read(Path.Combine(root, "samples", "questions.jsonl")).Take(count).Select(q => q.QueryWithOptions);

    static async Task<bool> ReachableAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            await using var _ = await ClusterConnection.ConnectAsync(new ClusterAddress(port), cancellationToken);
            return true;
        }
        catch (ClusterUnreachableException)
        {
            return false;
        }
    }

    static async Task<bool> WaitReachableAsync(int port, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (await ReachableAsync(port, cancellationToken)) return true;
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }
        return false;
    }

    static string DefaultData() => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "pastanoodles");

    static string Quote(string arg) => arg.Contains(' ') || arg.Contains('\n') ? $"\"{arg.Replace("\n", "\\n")}\"" : arg;
}
