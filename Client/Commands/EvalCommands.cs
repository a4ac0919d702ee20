using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Pastanoodles.Retrieval.Evaluation;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Training;
using Pastanoodles.Training.Data;
using Pastanoodles.Answering;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles eval ...`: score a model and adapter on a data file.</summary>
public static class EvalCommands
{
    public static Command Create(ClusterConnection.Connector? connect = null)
    {
        connect ??= ClusterConnection.ConnectAsync;
        var gateway = ClusterCommandSupport.GatewayOption();
        var eval = new Command("eval", "Evaluate: DPO reward accuracy, MCQA letter accuracy, retrieval recall.");
        eval.Subcommands.Add(Dpo());
        eval.Subcommands.Add(Mcqa(connect, gateway));
        eval.Subcommands.Add(Retrieval(connect, gateway));
        return eval;
    }

    static Option<string> ModelOption() => new("--model")
    {
        Description = "An HF model folder, or tiny/mid/phi-2 for the built-in config with the random weights (init_seed 1) a run of that name trains on.",
        DefaultValueFactory = _ => "tiny",
    };

    static Option<string> QuantOption()
    {
        var quant = new Option<string>("--quant") { Description = "nf4 (4-bit base, as trained) or none.", DefaultValueFactory = _ => "nf4" };
        quant.AcceptOnlyFromAmong("nf4", "none");
        return quant;
    }

    static Option<string> DtypeOption()
    {
        var dtype = new Option<string>("--dtype") { Description = "Compute dtype: bfloat16 or float32 (use what the adapter was trained with).", DefaultValueFactory = _ => "bfloat16" };
        dtype.AcceptOnlyFromAmong("bfloat16", "float32");
        return dtype;
    }

    static Command Dpo()
    {
        var (model, quant, dtype) = (ModelOption(), QuantOption(), DtypeOption());
        var adapter = new Option<string>("--adapter") { Description = "PEFT adapter folder (a checkpoint or final_adapter).", Required = true };
        var data = new Option<string>("--data") { Description = "Preference JSONL or Parquet (prompt, chosen, rejected).", Required = true };
        var beta = new Option<double>("--beta") { Description = "β of the rewards.", DefaultValueFactory = _ => 0.1 };
        var command = new Command(ExperimentKinds.Dpo, "Reward accuracy of an adapter against its base (the DPO reference) on preference pairs.") { model, adapter, data, quant, dtype, beta };
        command.SetAction((parseResult, _) => CommandErrors.RunAsync(parseResult, async () =>
        {
            var metrics = Evaluation.Dpo(parseResult.GetValue(model)!, parseResult.GetValue(adapter)!, parseResult.GetValue(data)!,
                parseResult.GetValue(quant) == "nf4", parseResult.GetValue(dtype)!, parseResult.GetValue(beta));
            var output = parseResult.InvocationConfiguration.Output;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"reward accuracy: {metrics[ExperimentKinds.AccuracyKey(ExperimentKinds.Dpo)]:F4}"));
            foreach (var (key, value) in metrics)
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{key}: {value:G6}"));
        }));
        return command;
    }

    static Command Mcqa(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var (model, quant, dtype) = (ModelOption(), QuantOption(), DtypeOption());
        var adapter = new Option<string?>("--adapter") { Description = "PEFT adapter folder; none scores the base model." };
        var data = new Option<string?>("--data") { Description = "MCQA JSONL (MMLU or GPQA form), scored locally." };
        var file = new Argument<string?>("FILE") { Description = "MCQA JSONL scored through the cluster's answer grains (the seed's prompt; with --rag, over the cluster corpus).", Arity = ArgumentArity.ZeroOrOne };
        var experiment = new Option<string?>("--experiment") { Description = "Cluster mode: answer with this completed run's final adapter; none: the silos' base model." };
        var predictions = new Option<string?>("--out") { Description = "Write each question's predicted letter and letter log-likelihoods here (JSONL)." };
        var rag = new Option<bool>("--rag") { Description = "Answer through retrieval and the seed's RAG prompt (needs --index) instead of the MMLU prompt." };
        var index = new Option<string?>("--index") { Description = "Course index for --rag." };
        var k = new Option<int>("-k") { Description = "Chunks put into the prompt with --rag.", DefaultValueFactory = _ => AnswerPipeline.DefaultK };
        var rerank = new RerankChoice();
        var command = new Command(ExperimentKinds.Mcqa, "Letter accuracy: the option letter with the highest log-likelihood, the standard MMLU way (or with --rag, through retrieval and the seed's prompt). " +
                                              "Locally with --data FILE; through the cluster with a positional FILE or --experiment.")
        {
            file, model, adapter, data, quant, dtype, predictions, rag, index, k, experiment, gateway,
        };
        rerank.AddTo(command);
        command.SetAction((parseResult, ct) => parseResult.GetValue(file) is not null || parseResult.GetValue(experiment) is not null
            ? ClusterRetrievalCommands.RunAsync(parseResult, connect, gateway, ct, (client, output) =>
            {
                ClusterRetrievalCommands.RejectLocalOptions(parseResult, [model, adapter, quant, dtype, index, .. rerank.All]);
                var path = parseResult.GetValue(file) ?? parseResult.GetValue(data)
                    ?? throw new ArgumentException("eval mcqa needs the data file: eval mcqa FILE [--rag] [--experiment ID].");
                return ClusterRetrievalCommands.EvalMcqaAsync(client, output, path, parseResult.GetValue(rag), parseResult.GetValue(experiment),
                    parseResult.GetValue(k), parseResult.GetValue(predictions));
            })
            : CommandErrors.RunAsync(parseResult, async () =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(data) is null)
                throw new ArgumentException("eval mcqa needs a data file: --data FILE (local) or a positional FILE (through the cluster).");
            if (!parseResult.GetValue(rag))
            {
                if (parseResult.GetValue(index) is not null)
                    throw new ArgumentException("--index is given without --rag. HINT: add --rag to answer through retrieval.");
                var outcome = Evaluation.Mcqa(parseResult.GetValue(model)!, parseResult.GetValue(adapter), parseResult.GetValue(data)!,
                    parseResult.GetValue(predictions), parseResult.GetValue(quant) == "nf4", parseResult.GetValue(dtype)!);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"accuracy: {outcome.Accuracy:F4}"));
                await output.WriteLineAsync($"questions: {outcome.Questions}");
                if (outcome.PredictionsFile is { } file) await output.WriteLineAsync($"predictions: {file}");
                return;
            }
            var indexFolder = parseResult.GetValue(index) ?? throw new ArgumentException("--rag needs --index DIR, the course index to retrieve from.");
            var rows = await Evaluation.McqaQuestionsAsync(parseResult.GetValue(data)!);
            using var engine = CorpusEngine.OpenExisting(indexFolder);
            var reranker = rerank.Build(parseResult, engine, out var owned);
            using var __ = owned;
            using var loaded = LoadedModel.Load(parseResult.GetValue(model)!, parseResult.GetValue(adapter), parseResult.GetValue(quant) == "nf4");
            var result = RagEvaluation.Mcqa(new AnswerPipeline(engine, loaded, parseResult.GetValue(k), reranker), rows, parseResult.GetValue(predictions));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"accuracy: {result.Accuracy:F4}"));
            await output.WriteLineAsync($"questions: {result.Questions}");
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"mean retrieval {result.RetrievalMsMean:F0} ms, mean model {result.ModelMsMean:F0} ms"));
            if (result.PredictionsFile is { } predictionsFile) await output.WriteLineAsync($"predictions: {predictionsFile}");
        }));
        return command;
    }

    private static Command Retrieval(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var file = new Argument<string>("FILE") { Description = "JSONL rows {question, options: {A..D}, answer, source, page}." };
        var index = CorpusCommands.IndexOption(required: false);
        var rerank = new RerankChoice();
        var depth = new Option<int>("--rerank-depth") { Description = "BM25 candidates re-ranked.", DefaultValueFactory = _ => CorpusEngine.DefaultRerankDepth };
        var questionOnly = new Option<bool>("--question-only") { Description = "Query with the question alone, without its options." };
        var sweep = new Option<bool>("--sweep") { Description = "Also print MRR@10 of the weighted re-rank for BM25 weights 0, 0.1, …, 1, to choose --bm25-weight on your own questions." };
        var command = new Command("retrieval",
            "Page-level recall@1, recall@5, MRR@10 and p50 latency for BM25, the dense retriever (cosine, Euclidean) and BM25 + dense re-rank " +
            "(LSA, or BERT with --encoder bert: replace, rrf, weighted), with lemmatization on and off; through the cluster without --index.")
        {
            file, index, rerank.Encoder, rerank.Bert, rerank.QueryDtype, rerank.Metric, rerank.Bm25Weight, depth, questionOnly, sweep, gateway,
        };
        command.SetAction((parse, ct) => parse.GetValue(index) is null
            ? ClusterRetrievalCommands.RunAsync(parse, connect, gateway, ct, (client, output) =>
            {
                ClusterRetrievalCommands.RejectLocalOptions(parse, rerank.Encoder, rerank.Bert, rerank.QueryDtype, depth, sweep);
                return ClusterRetrievalCommands.EvalRetrievalAsync(client, output, parse.InvocationConfiguration.Error, parse.GetValue(file)!, parse.GetValue(questionOnly),
                    parse.GetValue(rerank.Metric), rerank.Weight(parse));
            })
            : Task.FromResult(CommandErrors.Run(parse, () =>
        {
            var questions = RetrievalQuestionReader.Read(parse.GetValue(file)!, parse.InvocationConfiguration.Error.WriteLine);
            using var engine = CorpusEngine.OpenExisting(parse.GetValue(index)!);
            var unknown = questions.Select(q => q.Source).Distinct()
                .Except(engine.AllChunks().Select(c => c.Source).Distinct()).ToList();
            if (unknown.Count > 0)
                parse.InvocationConfiguration.Error.WriteLine($"warning: {unknown.Count} source(s) of the questions are not in the index: {string.Join(", ", unknown.Take(5))}");
            var dense = rerank.DenseEncoder(parse, engine);
            using var _ = dense.Encoder as IDisposable;
            var weight = rerank.Weight(parse);
            // Each setup's p50 pays its query's forward, as a first question would; the sweep prints no latency, so there each query
            // is encoded once for its 11 weights (the encoder is this command's own).
            var bert = dense.Encoder as BertSentenceEncoder;
            bert?.CacheQueries = false;
            var results = RetrievalEvaluation.Compare(engine, questions, parse.GetValue(rerank.Metric), parse.GetValue(depth),
                withOptions: !parse.GetValue(questionOnly), dense: dense.Name == "lsa" ? null : dense, bm25Weight: weight,
                done: Progress(parse.InvocationConfiguration.Error));
            bert?.CacheQueries = true;
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"{questions.Count} questions, {engine.Count} chunks, chunk_size {engine.Options.ChunkSize}, overlap {engine.Options.ChunkOverlap}");
            Print(output, results);
            if (parse.GetValue(sweep))
            {
                output.WriteLine($"weighted {dense.Name} re-rank by BM25 weight (0 = dense only, 1 = BM25 order):");
                output.WriteLine($"{"bm25 weight",11} {"recall@1",9} {"recall@5",9} {"mrr@10",9}");
                foreach (var (w, r) in RetrievalEvaluation.Sweep(engine, questions, dense.Encoder, parse.GetValue(rerank.Metric), parse.GetValue(depth), !parse.GetValue(questionOnly)))
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{w,11:F1} {r.RecallAt1,9:F3} {r.RecallAt5,9:F3} {r.MrrAt10,9:F3}"));
            }
            return 0;
        })));
        return command;
    }

    /// <summary>One line on <paramref name="error"/> as each setup of an evaluation is done, with the time since the evaluation began
    /// (the table waits for all; a setup's own time is the difference, plus any index it had to build first).</summary>
    public static Action<RetrievalScores> Progress(TextWriter error)
    {
        var watch = Stopwatch.StartNew();
        return scores => error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"eval: {scores.Setup} done, {scores.Questions} questions, {watch.Elapsed.TotalSeconds:F1} s in"));
    }

    public static void Print(TextWriter output, IEnumerable<RetrievalScores> results)
    {
        output.WriteLine($"{"setup",-48} {"recall@1",9} {"recall@5",9} {"mrr@10",9} {"p50 ms",8}");
        foreach (var r in results)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Setup,-48} {r.RecallAt1,9:F3} {r.RecallAt5,9:F3} {r.MrrAt10,9:F3} {r.P50Ms,8:F1}"));
    }
}
