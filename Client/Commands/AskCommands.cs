using System.CommandLine;
using System.Globalization;
using Pastanoodles.Answering;
using Pastanoodles.Retrieval;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles ask`: answer one multiple-choice question from the course index with the 4-bit model, locally with --index DIR,
/// or through the cluster's answer grain (with --experiment ID's final adapter) without it.</summary>
public static class AskCommands
{
    public static Command Create(ClusterConnection.Connector? connect = null)
    {
        connect ??= ClusterConnection.ConnectAsync;
        var gateway = ClusterCommandSupport.GatewayOption();
        var experiment = new Option<string?>("--experiment") { Description = "Cluster mode: answer with this completed run's final adapter (on the base it was trained on); none: the silo's base model." };
        var question = new Argument<string>("QUESTION") { Description = "The question with its options, e.g. \"What is 2+2? A. 3 B. 4 C. 5 D. 6\" (\"A) …\" and one option per line work too)." };
        var index = CorpusCommands.IndexOption(required: false);
        var model = new Option<string>("--model")
        {
            Description = "An HF Phi folder, or tiny/mid/phi-2 for the built-in config with the random weights (init_seed 1) a run of that name trains on.",
            DefaultValueFactory = _ => "tiny",
        };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT adapter folder (a checkpoint or final_adapter); none answers with the base model." };
        var k = new Option<int>("-k") { Description = "Chunks put into the prompt.", DefaultValueFactory = _ => AnswerPipeline.DefaultK };
        var quant = new Option<string>("--quant") { Description = "nf4 (4-bit base, as trained) or none.", DefaultValueFactory = _ => "nf4" };
        quant.AcceptOnlyFromAmong("nf4", "none");
        var rerank = new RerankChoice();
        var command = new Command("ask", "Answer a multiple-choice question: retrieve the top-k chunks, fill the seed's prompt, and print the option letter the model scores highest and the sources used (locally with --index DIR, else through the cluster).")
        {
            question, index, model, adapter, k, quant, experiment, gateway,
        };
        rerank.AddTo(command);
        command.SetAction((parse, ct) => parse.GetValue(index) is null
            ? ClusterRetrievalCommands.RunAsync(parse, connect, gateway, ct, (client, output) =>
            {
                ClusterRetrievalCommands.RejectLocalOptions(parse, [model, adapter, quant, .. rerank.All]);
                return ClusterRetrievalCommands.AskAsync(client, output, parse.GetValue(question)!, parse.GetValue(experiment), parse.GetValue(k));
            })
            : CommandErrors.RunAsync(parse, async () =>
        {
            if (parse.GetValue(experiment) is not null)
                throw new ArgumentException("--experiment answers through the cluster; with --index DIR give the run's adapter folder as --adapter instead.");
            McqaQuestion.Parse(parse.GetValue(question)!); // fail on a question without options before loading anything
            using var engine = CorpusEngine.OpenExisting(parse.GetValue(index)!);
            var reranker = rerank.Build(parse, engine, out var owned);
            using var __ = owned;
            using var loaded = LoadedModel.Load(parse.GetValue(model)!, parse.GetValue(adapter), parse.GetValue(quant) == "nf4");
            var answer = new AnswerPipeline(engine, loaded, parse.GetValue(k), reranker).Answer(parse.GetValue(question)!);

            var output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync($"answer: {answer.Letter}");
            await output.WriteLineAsync("log-likelihoods: " + string.Join("  ", answer.LogLikelihoods.Select(p =>
                string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F4}"))));
            await output.WriteLineAsync(answer.Sources.Count == 0 ? "sources: none (no chunk matched; the model answered without context)" : "sources:");
            for (var i = 0; i < answer.Sources.Count; i++)
            {
                var hit = answer.Sources[i];
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{i + 1,3}  {hit.Score,8:F4}  {hit.Source}  page {hit.Page}  start {hit.Start}"));
            }
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"model: {loaded.Description}; prompt {answer.PromptTokens} tokens{(answer.Truncated ? " (beginning cut to fit the context)" : "")}; retrieval {answer.RetrievalMs:F0} ms, model {answer.ModelMs:F0} ms"));
        }));
        return command;
    }
}
