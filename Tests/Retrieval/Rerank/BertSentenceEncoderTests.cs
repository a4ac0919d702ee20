using Pastanoodles.Modeling;
using Pastanoodles.Retrieval.Rerank;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Retrieval.Rerank;

public sealed class BertSentenceEncoderTests : IDisposable
{
    readonly TempDir _dir = new();
    readonly BertSentenceEncoder _encoder;

    public BertSentenceEncoderTests() => _encoder = BertSentenceEncoder.Load(TinyBert.Write(_dir.Path));

    public void Dispose()
    {
        _encoder.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Tokenizes_with_wordpiece_lower_cased_between_cls_and_sep()
    {
        var ids = _encoder.Tokenize("The Matrices INVERTED.");
        Assert.Equal(["[CLS]", "the", "mat", "##ric", "##es", "invert", "##ed", ".", "[SEP]"], ids.Select(i => TinyBert.Vocabulary[i]));
    }

    [Fact]
    public void Truncates_at_256_tokens_keeping_cls_and_sep()
    {
        Assert.Equal(256, _encoder.MaxSeqLength);
        var ids = _encoder.Tokenize(string.Join(' ', Enumerable.Repeat("energy", 400)));
        Assert.Equal(256, ids.Length);
        Assert.Equal(2, ids[0]);
        Assert.Equal(3, ids[^1]);
        Assert.All(ids[1..^1], id => Assert.Equal(24, id));
    }

    [Fact]
    public void Vectors_are_unit_length()
    {
        var vectors = _encoder.Encode(["the energy of a wave", "graph", "", "what is the speed of light?"]);
        Assert.All(vectors, v =>
        {
            Assert.Equal(TinyBert.Config.HiddenSize, v.Length);
            Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5);
        });
    }

    [Fact]
    public void A_sentence_alone_and_in_a_padded_batch_give_the_same_vector()
    {
        const string sentence = "the mass of a tree";
        var alone = _encoder.Encode([sentence])[0];
        var batch = _encoder.Encode(["which quantum field is the field of light and what is its energy, mass and speed of time ?", sentence]);
        for (var i = 0; i < alone.Length; i++)
            Assert.True(Math.Abs(alone[i] - batch[1][i]) < 1e-5f, $"dimension {i}: alone {alone[i]}, in a padded batch {batch[1][i]}");
    }

    [Fact]
    public void A_single_text_is_encoded_with_one_intra_op_thread_and_every_other_thread_keeps_its_own()
    {
        var before = FreshThread.Run(TorchSharp.torch.get_num_threads);
        var onSerialThread = SerialTorchThread.Run(() => (TorchSharp.torch.get_num_threads(), Thread.CurrentThread.Name));
        _encoder.Encode(["the energy of a wave"]);

        Assert.Equal((1, "pastanoodles serial torch"), onSerialThread);
        Assert.Equal(before, FreshThread.Run(TorchSharp.torch.get_num_threads));
    }

    [Fact]
    public void A_query_asked_again_reuses_its_vector_without_a_forward_and_each_caller_gets_its_own_copy()
    {
        var first = _encoder.EncodeQuery("the energy of a wave");
        var expected = (float[])first.Clone();
        Array.Fill(first, 0f);   // a caller scribbling on its vector does not touch the kept one

        var again = _encoder.EncodeQuery("the energy of a wave");
        var other = _encoder.EncodeQuery("the mass of a tree");

        Assert.Equal(expected, again);
        Assert.NotEqual(expected, other);
        Assert.Equal(2, _encoder.QueryForwards);

        _encoder.CacheQueries = false;
        Assert.Equal(expected, _encoder.EncodeQuery("the energy of a wave"));
        Assert.Equal(3, _encoder.QueryForwards);
    }

    [Fact]
    public void The_cache_knows_a_query_by_its_truncated_token_ids_so_texts_that_tokenize_alike_share_one_forward()
    {
        var words300 = string.Join(' ', Enumerable.Repeat("energy", 300));
        var words4000 = string.Join(' ', Enumerable.Repeat("energy", 4000));   // a client's long text: the key is 256 ids all the same

        var vectors = new[] { words300, words4000, "the energy of a wave", "THE Energy of a wave" }.Select(_encoder.EncodeQuery).ToList();

        Assert.Equal(vectors[0], vectors[1]);
        Assert.Equal(vectors[2], vectors[3]);
        Assert.Equal(2, _encoder.QueryForwards);
    }

    [Fact]
    public async Task Async_queries_wait_their_turn_without_holding_a_thread_share_one_forward_per_text_and_equal_the_blocking_ones()
    {
        // 64 texts of distinct token ids (the cache knows a query by them): each bit of i picks one of a pair of words.
        string[][] pairs = [["energy", "force"], ["mass", "light"], ["speed", "wave"], ["graph", "node"], ["edge", "tree"], ["sort", "list"]];
        var texts = Enumerable.Range(0, 64).Select(i => string.Join(' ', pairs.Select((pair, bit) => pair[(i >> bit) & 1]))).ToList();
        using var release = new ManualResetEventSlim();
        var held = SerialTorchThread.RunAsync(() => release.Wait(TimeSpan.FromMinutes(2)));   // the serial thread is busy
        List<Task<float[]>> pending;
        Task<float[]> again;
        try
        {
            // 64 callers queue behind it; none blocks (a blocking call would hang here until the release below).
            pending = texts.Select(_encoder.EncodeQueryAsync).ToList();
            again = _encoder.EncodeQueryAsync(texts[0]);   // asked again while its forward waits: it shares that forward
            Assert.All(pending.Append(again), p => Assert.False(p.IsCompleted));
        }
        finally
        {
            release.Set();   // whatever happened above, the process's serial thread goes on (other tests encode on it)
        }
        Assert.True(await held);
        var vectors = await Task.WhenAll(pending);
        Assert.Equal(vectors[0], await again);
        Assert.NotSame(vectors[0], await again);   // each caller has its own array
        Assert.Equal(64, _encoder.QueryForwards);

        _encoder.CacheQueries = false;
        Assert.Equal(texts.Select(_encoder.EncodeQuery), vectors);
        _encoder.CacheQueries = true;
        var cached = _encoder.EncodeQueryAsync(texts[0]);
        Assert.True(cached.IsCompletedSuccessfully);   // kept by the first call: no forward, no queue
        Assert.Equal(vectors[0], await cached);
        Assert.Equal(128, _encoder.QueryForwards);
    }

    [Fact]
    public void A_query_in_float32_equals_encode_and_in_bfloat16_is_within_cosine_1e3()
    {
        using var float32 = BertSentenceEncoder.Load(_dir.Path, ScalarType.Float32);
        using var bfloat16 = BertSentenceEncoder.Load(_dir.Path, ScalarType.BFloat16);
        foreach (var query in new[] { "the energy of a wave", "graph", "" })
        {
            var reference = float32.Encode([query])[0];
            Assert.Equal(reference, float32.EncodeQuery(query));
            var low = bfloat16.EncodeQuery(query);
            var cosine = reference.Zip(low, (a, b) => (double)a * b).Sum();
            Assert.True(cosine >= 0.999, $"'{query}': cosine {cosine:F6} between the bf16 and fp32 query vectors");
            Assert.True(cosine < 1 - 1e-9, $"'{query}': the bf16 vector equals fp32's, so bf16 was not used");
            Assert.Equal(reference, bfloat16.Encode([query])[0]);   // what is stored stays fp32
        }
    }

    [Fact]
    public void A_query_dtype_other_than_float32_or_bfloat16_is_a_one_line_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => BertSentenceEncoder.Load(_dir.Path, ScalarType.Float16));
        Assert.Equal("The query dtype is Float16. It must be float32 or bfloat16.", ex.Message);
        Assert.Equal(ScalarType.BFloat16, BertSentenceEncoder.ParseDtype("bfloat16", "--query-dtype"));
        Assert.Equal(ScalarType.Float32, BertSentenceEncoder.ParseDtype("Float32", "--query-dtype"));
        Assert.Equal("--query-dtype is 'int8'. It must be float32 or bfloat16.",
            Assert.Throws<ArgumentException>(() => BertSentenceEncoder.ParseDtype("int8", "--query-dtype")).Message);
    }

    [Fact]
    public void Mean_pooling_averages_only_the_unmasked_tokens()
    {
        var generator = new Generator(11);
        using var hidden = randn([3, 5, 4], generator: generator);
        using var mask = tensor(new long[] { 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 }, [3, 5]);
        using var pooled = BertSentenceEncoder.MeanPooling(hidden, mask);
        for (var b = 0; b < 3; b++)
            for (var e = 0; e < 4; e++)
            {
                double sum = 0;
                var count = 0;
                for (var t = 0; t < 5; t++)
                    if (mask[b, t].item<long>() == 1)
                    {
                        sum += hidden[b, t, e].item<float>();
                        count++;
                    }
                Assert.Equal(sum / count, pooled[b, e].item<float>(), 5);
            }
    }

    [Fact]
    public void Plugs_into_the_reranker_and_puts_the_identical_text_first()
    {
        var reranker = new Reranker(_encoder);
        SearchHit Hit(string text, float score) => new(text, "s.pdf", 0, 0, score, text);
        var hits = reranker.Rerank("eigenvalues of the matrix", [Hit("graph node edge", 9), Hit("heap sort list", 5), Hit("eigenvalues of the matrix", 1)]);
        Assert.Equal("eigenvalues of the matrix", hits[0].Text);
        Assert.Equal(1f, hits[0].Score, 3);   // the query in bf16 where the CPU has it, the candidate in fp32: cosine ≥ 0.999, not 1
        Assert.True(hits[1].Score < 1f);
    }

    [Fact]
    public void Missing_vocab_is_an_error_naming_the_file()
    {
        using var dir = new TempDir();
        TinyBert.Write(dir.Path);
        File.Delete(dir["vocab.txt"]);
        var ex = Assert.Throws<FileNotFoundException>(() => BertSentenceEncoder.Load(dir.Path));
        Assert.Contains("vocab.txt", ex.Message);
    }
}
