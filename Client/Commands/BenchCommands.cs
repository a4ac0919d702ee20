using System.CommandLine;
using System.Diagnostics;
using Pastanoodles.Client.Benchmarks;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Index;
using Pastanoodles.Retrieval.Rerank;
using static TorchSharp.torch;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles bench ...`: speed figures, printed, never asserted.</summary>
public static class BenchCommands
{
    public static Command Create()
    {
        var bench = new Command("bench", "Print speed and memory figures for this machine.");
        bench.Subcommands.Add(Model());
        bench.Subcommands.Add(Train());
        bench.Subcommands.Add(Cluster());
        bench.Subcommands.Add(Retrieval());
        bench.Subcommands.Add(Adapters());
        return bench;
    }

    static Command Adapters()
    {
        var model = new Option<string>("--model") { Description = "Built-in config: tiny, mid or phi-2 (random weights).", DefaultValueFactory = _ => "mid" };
        var shared = new Option<string>("--adapters") { Description = "Adapter counts on one shared base, comma-separated.", DefaultValueFactory = _ => "1,4,16" };
        var copies = new Option<string>("--copies") { Description = "Adapter counts with a base copy per adapter (the layout before), comma-separated; empty skips them.", DefaultValueFactory = _ => "1,4" };
        model.AcceptOnlyFromAmong("tiny", "mid", "phi-2");
        var command = new Command("adapters", "Resident memory (RSS) and tensor bytes for answering with N adapters on one shared NF4 base, against a base copy per adapter.")
        {
            model, shared, copies,
        };
        command.SetAction((parseResult, _) => CommandErrors.RunAsync(parseResult, () =>
            AdapterBenchmark.RunAsync(parseResult.InvocationConfiguration.Output, parseResult.GetValue(model)!,
                Counts(parseResult.GetValue(shared)!, "--adapters"), Counts(parseResult.GetValue(copies)!, "--copies"))));
        return command;
    }

    static List<int> Counts(string value, string option) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, out var n) && n > 0 ? n : throw new ArgumentException($"{option} is '{value}'. Give positive counts like 1,4,16."))
            .ToList();

    /// <summary>The value of <paramref name="option"/>, or a one-line error naming it when below <paramref name="least"/>.</summary>
    static int AtLeast(ParseResult parse, Option<int> option, int least) =>
        parse.GetValue(option) is var value && value >= least ? value : throw new ArgumentException($"{option.Name} is {value}. It must be {least} or more.");

    static Command Cluster()
    {
        var asks = new Option<int>("--asks") { Description = "Asks timed per setup.", DefaultValueFactory = _ => 200 };
        var silos = new Option<string>("--silos") { Description = "Cluster sizes to measure, comma-separated.", DefaultValueFactory = _ => "1,2,4" };
        var command = new Command("cluster", "`ask` latency p50/p99 through real silo processes (retrieval only and with the model) against the same work in-process, and throughput with 1, 2 and 4 silos.")
        {
            asks, silos,
        };
        command.SetAction((parseResult, ct) => CommandErrors.RunAsync(parseResult, async () =>
        {
            var counts = Counts(parseResult.GetValue(silos)!, "--silos");
            await ClusterBenchmark.RunAsync(parseResult.InvocationConfiguration.Output, AtLeast(parseResult, asks, 1), counts, ct);
        }));
        return command;
    }

    static Command Train()
    {
        var configs = new Option<string>("--config") { Description = "Built-in configs to measure, comma-separated: tiny, mid, phi-2 (Phi-2's real architecture, random weights).", DefaultValueFactory = _ => "tiny,mid" };
        var sequence = new Option<int>("--seq") { Description = "Tokens per row (prompt + completion); a step runs chosen and rejected, 2 × this.", DefaultValueFactory = _ => 256 };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps per case (the first also computes the row's reference log-probs).", DefaultValueFactory = _ => 4 };
        var checkpointing = new Option<string>("--checkpointing") { Description = "Cases to run, comma-separated: off (every activation kept), on (gradient_checkpointing).", DefaultValueFactory = _ => "off,on" };
        var command = new Command("train", "DPO optimizer-step tokens/s and peak RSS (NF4 + DoRA r 16, bf16, batch 1) with and without gradient checkpointing, against this machine's matmul peak.")
        {
            configs, sequence, steps, checkpointing,
        };
        command.SetAction((parseResult, _) => CommandErrors.RunAsync(parseResult, async () =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var names = List(parseResult.GetValue(configs)!, "--config", ["tiny", "mid", "phi-2"]);
            var cases = List(parseResult.GetValue(checkpointing)!, "--checkpointing", ["off", "on"]);
            int seq = parseResult.GetValue(sequence), count = AtLeast(parseResult, steps, 1);
            if (seq < 8 || seq > PhiConfig.Phi2.MaxPositionEmbeddings)
                throw new ArgumentException($"--seq is {seq}. It must be between 8 and {PhiConfig.Phi2.MaxPositionEmbeddings}.");

            double bf16Peak = MatmulPeak.Measure(ScalarType.BFloat16);
            await output.WriteLineAsync($"threads: {get_num_threads()}, matmul peak (best of 10): bf16 {bf16Peak:F1} GFLOP/s, fp32 {MatmulPeak.Measure(ScalarType.Float32):F1} GFLOP/s, load average {LoadAverage()}");
            await output.WriteLineAsync($"{"config",-6} {"ckpt",4} {"seq",5} {"s/step",8} {"tokens/s",9} {"GFLOP/s",8} {"of bf16 peak",12} {"peak RSS MiB",13}");
            foreach (var name in names)
                foreach (var on in cases.Select(c => c == "on"))
                {
                    var r = TrainBenchmark.Run(name, seq, count, on);
                    await output.WriteLineAsync($"{r.Config,-6} {(on ? "on" : "off"),4} {r.Sequence,5} {r.StepSeconds,8:F1} {r.TokensPerSecond,9:F0} {r.GflopsAchieved,8:F1} {r.GflopsAchieved / bf16Peak,12:P1} {r.PeakBytes / 1048576.0,13:F0}");
                }
        }));
        return command;
    }

    static List<string> List(string value, string option, string[] valid)
    {
        var items = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        var bad = items.FirstOrDefault(i => !valid.Contains(i));
        if (items.Count == 0 || bad is not null)
            throw new ArgumentException($"{option} is '{value}'. Valid: {string.Join(", ", valid)}, comma-separated.");
        return items;
    }

    static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    static Command Model()
    {
        var sequence = new Option<int>("--sequence") { Description = "Tokens per forward (batch 1).", DefaultValueFactory = _ => 512 };
        var repeats = new Option<int>("--repeats") { Description = "Timed forwards per case, after one warm-up.", DefaultValueFactory = _ => 3 };
        var command = new Command("model", "Forward-pass tokens/s for tiny and a mid-size config (~250M) in bf16 and NF4, against this machine's matmul peak.")
        {
            sequence, repeats,
        };
        command.SetAction((parseResult, _) => CommandErrors.RunAsync(parseResult, async () =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            await output.WriteLineAsync($"threads: {get_num_threads()}");
            double bf16Peak = MatmulPeak.Measure(ScalarType.BFloat16);
            double fp32Peak = MatmulPeak.Measure(ScalarType.Float32);
            await output.WriteLineAsync($"matmul peak: bf16 {bf16Peak:F1} GFLOP/s, fp32 {fp32Peak:F1} GFLOP/s (2048x2560 @ 2560x2560)");
            await output.WriteLineAsync($"{"config",-6} {"weights",-7} {"tokens",6} {"tokens/s",10} {"GFLOP/s",9} {"of bf16 peak",12}");
            foreach (var (name, config) in new[] { ("tiny", PhiConfig.Tiny), ("mid", PhiConfig.Mid) })
                foreach (var nf4 in new[] { false, true })
                {
                    var r = ModelBenchmark.Forward(name, config, nf4, parseResult.GetValue(sequence), parseResult.GetValue(repeats));
                    await output.WriteLineAsync($"{r.Config,-6} {r.Storage,-7} {r.Tokens,6} {r.TokensPerSecond,10:F0} {r.GflopsAchieved,9:F1} {r.GflopsAchieved / bf16Peak,12:P1}");
                }
        }));
        return command;
    }

    private static Command Retrieval()
    {
        var chunks = new Option<int>("--chunks") { Description = "Generated chunks to ingest.", DefaultValueFactory = _ => 100_000 };
        var words = new Option<int>("--words") { Description = "Words per generated chunk.", DefaultValueFactory = _ => 150 };
        var queries = new Option<int>("--queries") { Description = "Queries timed per setup.", DefaultValueFactory = _ => 300 };
        var lsaSample = new Option<int>("--lsa-sample") { Description = "Chunks the LSA basis is fitted on.", DefaultValueFactory = _ => 20_000 };
        var bertChunks = new Option<int>("--bert-chunks") { Description = "Generated chunks ingested with and without all-MiniLM-L6-v2 vectors; 0 skips every BERT and dense row.", DefaultValueFactory = _ => 500 };
        var denseChunks = new Option<int>("--dense-chunks") { Description = "Vectors (384 floats) the dense top-k product alone is timed over.", DefaultValueFactory = _ => 100_000 };
        var command = new Command("retrieval",
            "Ingest a generated corpus into 1 and 4 shards; print ingest chunks/s and query latency p50/p99 for BM25 and BM25 + LSA re-rank; " +
            "then ingest chunks/s with and without all-MiniLM-L6-v2 vectors (--bert-chunks), BM25 + BERT re-rank and the dense retriever over stored vectors, " +
            "and the dense top-k product alone over --dense-chunks vectors.")
        {
            chunks, words, queries, lsaSample, bertChunks, denseChunks,
        };
        command.SetAction(parse => CommandErrors.Run(parse, () =>
        {
            var count = AtLeast(parse, chunks, 1);
            int wordCount = AtLeast(parse, words, 1), sample = AtLeast(parse, lsaSample, 1), bert = AtLeast(parse, bertChunks, 0);
            var dense = bert > 0 ? AtLeast(parse, denseChunks, 1) : 0;
            var queryCount = AtLeast(parse, queries, 1);
            var corpus = new SyntheticCorpus();
            var data = corpus.Chunks(count, words: wordCount).ToList();
            var queryTexts = corpus.Queries(queryCount);
            parse.InvocationConfiguration.Output.WriteLine($"{count} chunks of {parse.GetValue(words)} words, {queryTexts.Count} queries, k = 5, re-rank depth {CorpusEngine.DefaultRerankDepth}, " +
                              $"{Environment.ProcessorCount} cores");
            parse.InvocationConfiguration.Output.WriteLine($"{"shards",6} {"ingest chunks/s",16} {"lsa fit s",10} {"bm25 p50 ms",12} {"bm25 p99 ms",12} {"rerank p50 ms",14} {"rerank p99 ms",14}");
            foreach (var shards in new[] { 1, 4 })
            {
                var folder = Path.Combine(Path.GetTempPath(), $"pastanoodles-bench-{Guid.NewGuid():N}");
                try
                {
                    using var engine = CorpusEngine.Open(folder, new CorpusOptions { Shards = shards });
                    var watch = Stopwatch.StartNew();
                    engine.AddChunks(data);
                    engine.Commit();
                    var ingestRate = count / watch.Elapsed.TotalSeconds;
                    watch.Restart();
                    var reranker = new Pastanoodles.Retrieval.Rerank.Reranker(engine.FitLsa(sample: sample));
                    var fitSeconds = watch.Elapsed.TotalSeconds;
                    var bm25 = Latencies(queryTexts, q => engine.Search(q, 5));
                    var reranked = Latencies(queryTexts, q => engine.Search(q, 5, reranker));
                    parse.InvocationConfiguration.Output.WriteLine($"{shards,6} {ingestRate,16:F0} {fitSeconds,10:F1} {Percentile(bm25, 50),12:F2} {Percentile(bm25, 99),12:F2} " +
                                      $"{Percentile(reranked, 50),14:F2} {Percentile(reranked, 99),14:F2}");
                }
                finally
                {
                    if (Directory.Exists(folder))
                        Directory.Delete(folder, recursive: true);
                }
            }
            if (bert > 0)
                BertRows(parse.InvocationConfiguration.Output, data.Take(bert).ToList(), data, queryTexts, dense);
            return 0;
        }));
        return command;
    }

    /// <summary>all-MiniLM-L6-v2's costs: ingest chunks/s without and with vectors (real encoding, <paramref name="ingest"/> chunks); then, over
    /// <paramref name="data"/> in 1 shard stored with unit vectors under MiniLM's name (encoding that many chunks takes hours on a CPU, and the
    /// query-side cost depends on their count, not their values), BM25, its top 20 alone, BM25 + BERT re-rank of the top 20 with the query's
    /// forward in float32 after the search (before), in the encoder's query dtype (bfloat16 where the CPU has it) after and during the search,
    /// each query's encoding alone, and the dense retriever, each query through every row in turn; then the dense top-k product alone over
    /// <paramref name="denseChunks"/> vectors. Every query is a different text, and only the row that says so uses cached query vectors.</summary>
    private static void BertRows(TextWriter output, IReadOnlyList<CorpusChunk> ingest, IReadOnlyList<CorpusChunk> data, IReadOnlyList<string> queries, int denseChunks)
    {
        using var encoder = MiniLmPackage.Load();
        encoder.CacheQueries = false;   // every row times the query's forward
        using var cached = MiniLmPackage.Load();
        var folder = Path.Combine(Path.GetTempPath(), $"pastanoodles-bench-{Guid.NewGuid():N}");
        try
        {
            double Ingest(string name, IReadOnlyList<CorpusChunk> chunks, IDenseEncoder? vectors)
            {
                using var engine = CorpusEngine.Open(Path.Combine(folder, name));
                var watch = Stopwatch.StartNew();
                engine.AddChunks(vectors is null ? chunks : CorpusIngest.Embed(chunks, vectors));
                engine.Commit();
                return chunks.Count / watch.Elapsed.TotalSeconds;
            }
            output.WriteLine($"all-MiniLM-L6-v2, 1 shard, load average {LoadAverage()}");
            output.WriteLine($"ingest {ingest.Count} chunks: {Ingest("plain", ingest, null):F0} chunks/s without vectors, {Ingest("vectors", ingest, encoder):F1} chunks/s with them");

            var random = new Random(1);
            using var stored = CorpusEngine.Open(Path.Combine(folder, "stored"));
            stored.AddChunks(data.Select(c => c with { Vector = RandomUnit(random, encoder.Dimension), Encoder = encoder.Name }));
            stored.Commit();
            IDenseEncoder float32 = new Float32Queries(encoder);
            var dtype = encoder.QueryDtype.ToString().ToLowerInvariant();
            const int depth = CorpusEngine.DefaultRerankDepth;
            IReadOnlyList<SearchHit> After(Reranker reranker, string q) => reranker.Rerank(q, stored.Search(q, depth)).Take(5).ToList();
            // Two groups, each query through every row of a group in turn: a dense search reads every stored vector (150 MB at 100k
            // chunks), which would evict the model's weights from the caches before the next row in the same loop.
            List<(string Setup, Action<string> Run)>[] groups =
            [
            [
                ("bm25", q => stored.Search(q, 5)),
                ($"bm25 top {depth} with their vectors (the re-rank's candidates)", q => stored.Search(q, depth)),
                ("bm25 + bert re-rank, float32 query after the search (before)", q => After(new Reranker(float32), q)),
                ($"bm25 + bert re-rank, {dtype} query after the search", q => After(new Reranker(encoder), q)),
                ($"bm25 + bert re-rank, {dtype} query during the search (after)", q => stored.Search(q, 5, new Reranker(encoder))),
                ("query encoding alone, float32 (before)", q => float32.EncodeQuery(q)),
                ($"query encoding alone, {dtype}", q => encoder.EncodeQuery(q)),
                .. queries.Count <= BertSentenceEncoder.QueryCacheSize   // every query kept at once, or the row would time forwards
                    ? [("bm25 + bert re-rank, a query asked before (vector cached)", q => stored.Search(q, 5, new Reranker(cached)))]
                    : Array.Empty<(string, Action<string>)>(),
            ],
            [
                ($"dense top-5, cosine (query encoded in {dtype})", q => stored.DenseSearch(q, 5, encoder)),
                ($"dense top-5, euclidean (query encoded in {dtype})", q => stored.DenseSearch(q, 5, encoder, DenseMetric.Euclidean)),
            ],
            ];
            if (queries.Count <= BertSentenceEncoder.QueryCacheSize)
                foreach (var q in queries)
                    cached.EncodeQuery(q);
            else
                output.WriteLine($"no cached-query row: {queries.Count} queries do not fit the {BertSentenceEncoder.QueryCacheSize} query vectors an encoder keeps");
            output.WriteLine($"{data.Count} chunks with stored vectors, {queries.Count} queries, each through every row of a group in turn, query dtype {dtype}, load average {LoadAverage()}");
            output.WriteLine($"{"setup",-60} {"p50 ms",9} {"p99 ms",9} {"CPU ms/query",13}");
            foreach (var rows in groups)
            {
                foreach (var ((setup, _), (ms, cpu)) in rows.Zip(Interleaved(queries, [.. rows.Select(r => r.Run)])))
                    output.WriteLine($"{setup,-60} {Percentile(ms, 50),9:F2} {Percentile(ms, 99),9:F2} {cpu,13:F2}");
                output.WriteLine($"load average {LoadAverage()}");
            }

            var index = DenseIndex.Of(Enumerable.Range(0, denseChunks).Select(i =>
                new CorpusChunk($"d#{i}#0", "d", i, 0, "", RandomUnit(random, encoder.Dimension), "random")), "random", encoder.Dimension);
            var vectors = queries.Select(_ => RandomUnit(random, encoder.Dimension)).ToList();
            output.WriteLine($"dense top-5 product alone over {denseChunks} vectors of {encoder.Dimension} floats, load average {LoadAverage()}");
            foreach (var metric in new[] { DenseMetric.Cosine, DenseMetric.Euclidean })
            {
                var ms = Latencies(Enumerable.Range(0, vectors.Count).Select(i => i.ToString()).ToList(), i => index.Search(vectors[int.Parse(i)], metric, 5), out var cpu);
                output.WriteLine($"{metric.ToString().ToLowerInvariant(),-60} {Percentile(ms, 50),9:F2} {Percentile(ms, 99),9:F2} {cpu,13:F2}");
            }
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    static float[] RandomUnit(Random random, int dimension)
    {
        var v = Enumerable.Range(0, dimension).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    /// <summary>How queries were encoded before <see cref="BertSentenceEncoder.QueryDtype"/>: alone, in float32, on <see cref="SerialTorchThread"/>.</summary>
    sealed class Float32Queries(BertSentenceEncoder encoder) : IDenseEncoder
    {
        public string Name => encoder.Name;
        public int Dimension => encoder.Dimension;
        public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts) => encoder.Encode(texts);
    }

    private static double[] Latencies(IReadOnlyList<string> queries, Action<string> run) => Latencies(queries, run, out _);

    /// <summary>Sorted latencies and CPU ms per query of each of <paramref name="runs"/>, each query going through every run in turn, so
    /// that a changing load falls on all of them alike (one after the other, the last rows of a run met another load than the first).
    /// Every run is warmed up on 20 queries before any is timed.</summary>
    private static (double[] Ms, double CpuMs)[] Interleaved(IReadOnlyList<string> queries, IReadOnlyList<Action<string>> runs)
    {
        foreach (var run in runs)
            foreach (var q in queries.Take(20))
                run(q);
        var times = runs.Select(_ => new double[queries.Count]).ToArray();
        var cpu = new TimeSpan[runs.Count];
        for (var i = 0; i < queries.Count; i++)
            for (var r = 0; r < runs.Count; r++)
            {
                var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
                var start = Stopwatch.GetTimestamp();
                runs[r](queries[i]);
                times[r][i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                cpu[r] += Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
            }
        foreach (var t in times)
            Array.Sort(t);
        return [.. times.Zip(cpu, (t, c) => (t, c.TotalMilliseconds / queries.Count))];
    }

    /// <param name="cpuMs">The process's CPU time per query over the timed loop: on a loaded machine, nearer to what a quiet one would take than the wall time.</param>
    private static double[] Latencies(IReadOnlyList<string> queries, Action<string> run, out double cpuMs)
    {
        foreach (var q in queries.Take(20))
            run(q); // warm-up: JIT, reader caches
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var times = new double[queries.Count];
        for (var i = 0; i < queries.Count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            run(queries[i]);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / queries.Count;
        Array.Sort(times);
        return times;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
