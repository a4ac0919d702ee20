using System.CommandLine;
using Pastanoodles.Answering;
using Pastanoodles.Cluster;
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
        var retriever = RerankChoice.RetrieverOption();
        var command = new Command("ask", "Answer a multiple-choice question: retrieve the top-k chunks, fill the seed's prompt, and print the option letter the model scores highest and the sources used (locally with --index DIR, else through the cluster).")
        {
            question, index, model, adapter, k, quant, experiment, gateway, retriever,
        };
        rerank.AddTo(command);
        command.SetAction((parse, ct) => parse.GetValue(index) is null
            ? ClusterRetrievalCommands.RunAsync(parse, connect, gateway, ct, (client, output) =>
            {
                ClusterRetrievalCommands.RejectLocalOptions(parse, model, adapter, quant, rerank.Encoder, rerank.Bert, rerank.QueryDtype);
                SearchRequest.CheckCount(parse.GetValue(k), "-k", AnswerPipeline.MaxK);
                var retrieval = new SearchRequest("", 1, parse.GetValue(retriever), parse.GetValue(rerank.Metric), rerank.SearchMode(parse, parse.GetValue(retriever)), parse.GetValue(rerank.Bm25Weight));
                return ClusterRetrievalCommands.AskAsync(client, output, parse.GetValue(question)!, parse.GetValue(experiment), parse.GetValue(k), retrieval);
            })
            : CommandErrors.RunAsync(parse, async () =>
        {
            if (parse.GetValue(experiment) is not null)
                throw new ArgumentException("--experiment answers through the cluster; with --index DIR give the run's adapter folder as --adapter instead.");
            McqaQuestion.Parse(parse.GetValue(question)!); // fail on a question without options before loading anything
            SearchRequest.CheckCount(parse.GetValue(k), "-k", AnswerPipeline.MaxK);
            using var engine = CorpusEngine.OpenExisting(parse.GetValue(index)!);
            var (reranker, dense) = rerank.Local(parse, engine, parse.GetValue(retriever), out var owned);
            using var __ = owned;
            using var loaded = LoadedModel.Load(parse.GetValue(model)!, parse.GetValue(adapter), parse.GetValue(quant) == "nf4");
            var answer = new AnswerPipeline(engine, loaded, parse.GetValue(k), reranker, dense: dense).Answer(parse.GetValue(question)!);
            await AnswerOutput.WriteAsync(parse.InvocationConfiguration.Output, AnswerGrain.ToResult(answer, loaded.Description, [], silo: ""));
        }));
        return command;
    }
}
