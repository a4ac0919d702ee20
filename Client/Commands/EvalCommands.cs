using System.CommandLine;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Evaluation;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles eval ...`: measure retrieval (and, later, answers) on question files.</summary>
public static class EvalCommands
{
    public static Command Create()
    {
        var eval = new Command("eval", "Measure retrieval quality on question files.");
        eval.Subcommands.Add(Retrieval());
        return eval;
    }

    private static Command Retrieval()
    {
        var file = new Argument<string>("FILE") { Description = "JSONL rows {question, options: {A..D}, answer, source, page}." };
        var index = CorpusCommands.IndexOption();
        var metric = CorpusCommands.MetricOption();
        var depth = new Option<int>("--rerank-depth") { Description = "BM25 candidates re-ranked.", DefaultValueFactory = _ => 20 };
        var questionOnly = new Option<bool>("--question-only") { Description = "Query with the question alone, without its options." };
        var command = new Command("retrieval",
            "Page-level recall@1, recall@5 and MRR@10 for BM25 and BM25 + LSA re-rank, with lemmatization on and off.")
        {
            file, index, metric, depth, questionOnly,
        };
        command.SetAction(parse => CommandFailure.Guard(() =>
        {
            var questions = RetrievalQuestionReader.Read(parse.GetValue(file)!);
            using var engine = CorpusEngine.OpenExisting(parse.GetValue(index)!);
            var unknown = questions.Select(q => q.Source).Distinct()
                .Except(engine.AllChunks().Select(c => c.Source).Distinct()).ToList();
            if (unknown.Count > 0)
                Console.Error.WriteLine($"warning: {unknown.Count} source(s) of the questions are not in the index: {string.Join(", ", unknown.Take(5))}");
            var results = RetrievalEvaluation.Compare(engine, questions, parse.GetValue(metric), parse.GetValue(depth),
                withOptions: !parse.GetValue(questionOnly));
            Console.WriteLine($"{questions.Count} questions, {engine.Count} chunks, chunk_size {engine.Options.ChunkSize}, overlap {engine.Options.ChunkOverlap}");
            Print(results);
            return 0;
        }));
        return command;
    }

    public static void Print(IEnumerable<RetrievalScores> results)
    {
        Console.WriteLine($"{"setup",-44} {"recall@1",9} {"recall@5",9} {"mrr@10",9}");
        foreach (var r in results)
            Console.WriteLine($"{r.Setup,-44} {r.RecallAt1,9:F3} {r.RecallAt5,9:F3} {r.MrrAt10,9:F3}");
    }
}
