using System.CommandLine;
using System.Diagnostics;
using Pastanoodles.Cluster;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Pdf;
using Pastanoodles.Retrieval.Rerank;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles corpus ingest|stats|search`: build and query the sharded course index, locally with --index DIR, or in the cluster's shard grains without it.</summary>
public static class CorpusCommands
{
    public static Command Create(ClusterConnection.Connector? connect = null)
    {
        connect ??= ClusterConnection.ConnectAsync;
        var gateway = ClusterCommandSupport.GatewayOption();
        var corpus = new Command("corpus", "Ingest course PDFs into a sharded Lucene index and search it (locally with --index DIR, else in the cluster).") { gateway };
        corpus.Subcommands.Add(Ingest(connect, gateway));
        corpus.Subcommands.Add(Stats(connect, gateway));
        corpus.Subcommands.Add(Search(connect, gateway));
        corpus.Subcommands.Add(RenderPdf());
        return corpus;
    }

    public static Option<string> IndexOption(bool required = true) => new("--index")
    {
        Description = required ? "Folder of the course index (created by `corpus ingest`)."
                               : "Folder of a local course index (created by `corpus ingest --index`); without it, the cluster's corpus.",
        Required = required,
    };

    public static Option<DenseMetric> MetricOption() => new("--metric")
    {
        Description = "Similarity used to re-rank: Cosine or Euclidean.",
        DefaultValueFactory = _ => DenseMetric.Cosine,
    };

    private static Command Ingest(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var folder = new Argument<string>("DIR") { Description = "Folder searched recursively for *.pdf files." };
        var index = IndexOption(required: false);
        var defaults = new CorpusOptions();
        var shards = new Option<int>("--shards") { Description = $"Number of shard indexes (a new cluster corpus: {ICorpusGrain.DefaultShards}).", DefaultValueFactory = _ => defaults.Shards };
        var size = new Option<int>("--chunk-size") { Description = "Chunk size in characters.", DefaultValueFactory = _ => defaults.ChunkSize };
        var overlap = new Option<int>("--chunk-overlap") { Description = "Chunk overlap in characters.", DefaultValueFactory = _ => defaults.ChunkOverlap };
        var noLemmas = new Option<bool>("--no-lemmatize") { Description = "Index words as they are (lower-cased, stop words removed)." };
        var encoder = new Option<string>("--encoder")
        {
            Description = "Store each chunk's dense vector for re-ranking: none, or bert (all-MiniLM-L6-v2 built in, or --bert DIR). " +
                          "Chunks whose vector is missing or from another encoder are encoded again.",
            DefaultValueFactory = _ => "none",
        };
        encoder.AcceptOnlyFromAmong("none", "bert");
        var bert = new Option<string?>("--bert") { Description = "Folder of a BERT sentence encoder for --encoder bert, instead of the built-in all-MiniLM-L6-v2." };
        var collection = new Option<string?>("--collection") { Description = "Cluster only: the sources' namespace, COLLECTION/RELATIVE/PATH.pdf. Default: DIR's name." };
        var replace = new Option<bool>("--replace") { Description = "Cluster only: replace sources already in the corpus (without it, such an ingest is refused)." };
        var command = new Command("ingest", "Read every PDF under DIR (one document per page), chunk, and index (in --index DIR, or in the cluster's shard grains); re-ingesting a file replaces its chunks.")
        {
            folder, index, shards, size, overlap, noLemmas, encoder, bert, collection, replace,
        };
        BertSentenceEncoder? Encoder(ParseResult parse)
        {
            if (parse.GetValue(encoder) == "bert")
                return RerankChoice.LoadBert(parse.GetValue(bert));
            if (parse.GetValue(bert) is { } folder)
                throw new ArgumentException($"--bert is '{folder}' but --encoder is 'none'. HINT: add --encoder bert to store its vectors.");
            return null;
        }
        // An existing corpus keeps its settings; only options given on this command line are checked against them (local and cluster alike).
        bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
        CorpusOptions Asked(ParseResult parse, CorpusOptions baseline) => baseline with
        {
            Shards = Given(parse, shards) ? parse.GetValue(shards) : baseline.Shards,
            ChunkSize = Given(parse, size) ? parse.GetValue(size) : baseline.ChunkSize,
            ChunkOverlap = Given(parse, overlap) ? parse.GetValue(overlap) : baseline.ChunkOverlap,
            Lemmatize = Given(parse, noLemmas) ? !parse.GetValue(noLemmas) : baseline.Lemmatize,
        };
        command.SetAction((parse, ct) => parse.GetValue(index) is null
            ? ClusterRetrievalCommands.RunAsync(parse, connect, gateway, ct, async (client, output) =>
            {
                var stored = await client.GetGrain<ICorpusGrain>(ICorpusGrain.Key).GetSettingsAsync();
                CorpusOptions? asked = new Option[] { shards, size, overlap, noLemmas }.Any(o => Given(parse, o)) ? Asked(parse, stored ?? ICorpusGrain.Defaults) : null;
                await ClusterRetrievalCommands.IngestAsync(client, output, parse.InvocationConfiguration.Error, parse.GetValue(folder)!, asked, Encoder(parse),
                    parse.GetValue(collection), parse.GetValue(replace));
            })
            : Task.FromResult(CommandErrors.Run(parse, () =>
        {
            var indexFolder = parse.GetValue(index)!;
            var manifest = Path.Combine(indexFolder, CorpusOptions.FileName);
            var options = Asked(parse, File.Exists(manifest) ? CorpusOptions.Load(manifest) : new CorpusOptions());
            options.Validate();
            var watch = Stopwatch.StartNew();
            using var vectors = Encoder(parse);
            using var engine = CorpusEngine.Open(indexFolder, options);
            var report = engine.IngestDirectory(parse.GetValue(folder)!, new SynchronousProgress<IngestProgress>(p =>
                parse.InvocationConfiguration.Output.WriteLine($"  [{p.FilesDone}] {p.CurrentFile}  ({p.Chunks} chunks so far)")), encoder: vectors);
            foreach (var failure in report.Failures)
                parse.InvocationConfiguration.Error.WriteLine($"skipped: {failure}");
            parse.InvocationConfiguration.Output.WriteLine($"Indexed {report.Chunks} chunks from {report.Pages} pages of {report.Files} files into {options.Shards} shard(s) " +
                              $"in {watch.Elapsed.TotalSeconds:F1} s; {engine.Count} chunks in the index; {report.Failures.Count} skipped" +
                              (vectors is null ? "." : $"; vectors from {vectors.Name} stored with every chunk."));
            return 0;
        })));
        return command;
    }

    private static Command Stats(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var index = IndexOption(required: false);
        var command = new Command("stats", "Chunks and sources per shard: of the local --index DIR, or of the cluster's shard grains (with the silo serving each).") { index };
        command.SetAction((parse, ct) => parse.GetValue(index) is { } folder
            ? Task.FromResult(CommandErrors.Run(parse, () =>
            {
                using var engine = CorpusEngine.OpenExisting(folder);
                var output = parse.InvocationConfiguration.Output;
                output.WriteLine($"{"shard",5}  {"chunks",7}  {"sources",7}");
                for (var i = 0; i < engine.Shards.Count; i++)
                    output.WriteLine($"{i,5}  {engine.Shards[i].Count,7}  {engine.Shards[i].AllChunks().Select(c => c.Source).Distinct().Count(),7}");
                output.WriteLine($"{engine.Shards.Count} shards, {engine.Count} chunks, {engine.AllChunks().Select(c => c.Source).Distinct().Count()} sources");
                return 0;
            }))
            : ClusterRetrievalCommands.RunAsync(parse, connect, gateway, ct, (client, output) => ClusterRetrievalCommands.StatsAsync(client, output)));
        return command;
    }

    private static Command Search(ClusterConnection.Connector connect, Option<int> gateway)
    {
        var text = new Argument<string>("TEXT") { Description = "The query." };
        var index = IndexOption(required: false);
        var k = new Option<int>("-k") { Description = "Number of hits.", DefaultValueFactory = _ => 5 };
        var rerank = new RerankChoice();
        var retriever = RerankChoice.RetrieverOption();
        var command = new Command("search", "Search every shard with collection-wide BM25 (or, with --retriever dense, every stored chunk vector), merge, " +
                                            "optionally re-rank; prints rank, score, source, page, snippet.")
        {
            text, index, k, retriever,
        };
        rerank.AddTo(command);
        command.SetAction((parse, ct) => parse.GetValue(index) is null
            ? ClusterRetrievalCommands.RunAsync(parse, connect, gateway, ct, (client, output) =>
            {
                ClusterRetrievalCommands.RejectLocalOptions(parse, rerank.Encoder, rerank.Bert, rerank.QueryDtype);
                var request = new SearchRequest(parse.GetValue(text)!, parse.GetValue(k), parse.GetValue(retriever), parse.GetValue(rerank.Metric),
                    rerank.SearchMode(parse, parse.GetValue(retriever)), parse.GetValue(rerank.Bm25Weight));
                return ClusterRetrievalCommands.SearchAsync(client, output, request);
            })
            : Task.FromResult(CommandErrors.Run(parse, () =>
        {
            using var engine = CorpusEngine.OpenExisting(parse.GetValue(index)!);
            var (reranker, dense) = rerank.Local(parse, engine, parse.GetValue(retriever), out var owned);
            using var _ = owned;
            var hits = engine.Search(parse.GetValue(text)!, parse.GetValue(k), reranker, dense: dense);
            if (hits.Count == 0)
                parse.InvocationConfiguration.Output.WriteLine("No hits.");
            for (var i = 0; i < hits.Count; i++)
            {
                var hit = hits[i];
                parse.InvocationConfiguration.Output.WriteLine($"{i + 1,3}  {hit.Score,8:F4}  {hit.Source}  page {hit.Page}  start {hit.Start}");
                parse.InvocationConfiguration.Output.WriteLine($"     {Snippet(hit.Text)}");
            }
            return 0;
        })));
        return command;
    }

    private static Command RenderPdf()
    {
        var source = new Argument<string>("SRC") { Description = "Folder of *.txt files; a line <<<page>>> starts a new page." };
        var output = new Argument<string>("OUT") { Description = "Folder the PDFs are written to, same relative paths." };
        var command = new Command("pdf", "Render text files into simple PDFs (how samples/corpus is made).") { source, output };
        command.SetAction(parse => CommandErrors.Run(parse, () =>
        {
            var root = parse.GetValue(source)!;
            if (!Directory.Exists(root))
                throw new DirectoryNotFoundException($"Text folder '{root}' does not exist.");
            foreach (var file in Directory.EnumerateFiles(root, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.ChangeExtension(Path.GetRelativePath(root, file), ".pdf");
                var target = Path.Combine(parse.GetValue(output)!, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var pages = PdfTextWriter.SplitPages(File.ReadAllText(file));
                File.WriteAllBytes(target, PdfTextWriter.Write(pages));
                parse.InvocationConfiguration.Output.WriteLine($"{target}: {pages.Count} page(s)");
            }
            return 0;
        }));
        return command;
    }

    private static string Snippet(string text, int length = 160)
    {
        var flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= length ? flat : flat[..length] + "…";
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool and can print out of order).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
