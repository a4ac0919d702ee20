using Pastanoodles.Modeling.Bert;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Modeling;

public class BertCheckpointTests
{
    static Tensor Ids() => tensor(new long[] { 2, 5, 12, 13, 14, 16, 17, 9, 3 }).unsqueeze(0);

    static void WriteWith(TempDir dir, Func<string, Tensor, Tensor?> edit, params (string Key, Tensor Value)[] extra)
    {
        using var model = TinyBert.Build();
        var tensors = CheckpointMap.For(model).Values
            .Select(t => (t.Key, Value: edit(t.Key, t.Read(ScalarType.Float32))))
            .Where(t => t.Value is not null)
            .Select(t => (t.Key, t.Value!))
            .Concat(extra);
        File.WriteAllText(dir[HfModelFolder.ConfigFile], model.Config.ToJson());
        SafeTensorsWriter.Write(dir[HfModelFolder.SingleFile], tensors);
    }

    [Fact]
    public void Parameter_names_are_hf_bert_model_keys()
    {
        using var model = TinyBert.Build();
        var keys = CheckpointMap.For(model).Keys.ToHashSet();
        Assert.Contains("embeddings.word_embeddings.weight", keys);
        Assert.Contains("embeddings.position_embeddings.weight", keys);
        Assert.Contains("embeddings.token_type_embeddings.weight", keys);
        Assert.Contains("embeddings.LayerNorm.weight", keys);
        Assert.Contains("encoder.layer.1.attention.self.query.weight", keys);
        Assert.Contains("encoder.layer.1.attention.self.key.bias", keys);
        Assert.Contains("encoder.layer.0.attention.self.value.weight", keys);
        Assert.Contains("encoder.layer.0.attention.output.dense.weight", keys);
        Assert.Contains("encoder.layer.0.attention.output.LayerNorm.bias", keys);
        Assert.Contains("encoder.layer.0.intermediate.dense.weight", keys);
        Assert.Contains("encoder.layer.0.output.dense.bias", keys);
        Assert.Contains("encoder.layer.0.output.LayerNorm.weight", keys);
        Assert.Equal(5 + 2 * 16, keys.Count); // embeddings: 3 tables + LayerNorm; per layer: 6 linears + 2 LayerNorms
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bare_and_bert_prefixed_keys_load_to_the_same_outputs(bool prefixed)
    {
        using var dir = new TempDir();
        TinyBert.Write(dir.Path, prefixed: prefixed);
        using var original = TinyBert.Build();
        using var loaded = BertModelFolder.Load(dir.Path);
        using var ids = Ids();
        using var mask = ones_like(ids);
        using var expected = original.forward(ids, mask);
        using var actual = loaded.forward(ids, mask);
        Assert.Equal(0f, (expected - actual).abs().max().item<float>());
    }

    [Fact]
    public void Pooler_and_position_ids_are_skipped()
    {
        using var dir = new TempDir();
        WriteWith(dir, (_, t) => t,
            ("pooler.dense.weight", zeros(32, 32)), ("pooler.dense.bias", zeros(32)), ("embeddings.position_ids", zeros(1, 300, ScalarType.Int64)));
        using var loaded = BertModelFolder.Load(dir.Path);
        Assert.Equal(37, CheckpointMap.For(loaded).Count);
    }

    [Fact]
    public void Missing_tensor_fails_naming_the_key_and_shape()
    {
        using var dir = new TempDir();
        WriteWith(dir, (key, t) => key == "encoder.layer.1.intermediate.dense.bias" ? null : t);
        var ex = Assert.Throws<InvalidDataException>(() => BertModelFolder.Load(dir.Path));
        Assert.Contains("is missing 1 tensor: 'encoder.layer.1.intermediate.dense.bias' of shape [64].", ex.Message);
    }

    [Fact]
    public void Misshaped_tensor_fails_naming_key_and_both_shapes()
    {
        using var dir = new TempDir();
        WriteWith(dir, (key, t) => key == "encoder.layer.0.attention.self.key.weight" ? zeros(32, 16) : t);
        var ex = Assert.Throws<InvalidDataException>(() => BertModelFolder.Load(dir.Path));
        Assert.Contains("'encoder.layer.0.attention.self.key.weight' should be of size [32, 32], but is [32, 16]", ex.Message);
    }

    [Fact]
    public void Unexpected_tensor_fails_naming_the_key()
    {
        using var dir = new TempDir();
        WriteWith(dir, (_, t) => t, ("cls.predictions.bias", zeros(TinyBert.Vocabulary.Length)));
        var ex = Assert.Throws<InvalidDataException>(() => BertModelFolder.Load(dir.Path));
        Assert.Contains("'cls.predictions.bias'", ex.Message);
        Assert.Contains("unexpected key", ex.Message);
    }

    [Fact]
    public void Config_other_than_bert_with_exact_gelu_is_refused()
    {
        var json = TinyBert.Config.ToJson().Replace("\"gelu\"", "\"gelu_new\"");
        var ex = Assert.Throws<InvalidDataException>(() => BertConfig.FromJson(json, "config.json"));
        Assert.Contains("hidden_act 'gelu_new'", ex.Message);
    }

    [Fact]
    public void Intermediate_uses_the_exact_erf_gelu()
    {
        // GELU(h) = h·Φ(h) = 0.5·h·(1 + erf(h/√2)); the tanh form (Phi's gelu_new) differs by up to ~5e-4 near |h| = 2.
        using var intermediate = new BertIntermediate(TinyBert.Config, null);
        var parameters = intermediate.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            parameters["dense.weight"].zero_();
            parameters["dense.bias"].zero_();
            for (var i = 0; i < 32; i++)
                parameters["dense.weight"][i, i].fill_(1);
        }
        using var x = linspace(-3, 3, 32).unsqueeze(0);
        using var actual = intermediate.call(x)[.., ..32];
        using var exact = 0.5f * x * (1 + special.erf(x / MathF.Sqrt(2)));
        using var tanh = nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh);
        Assert.True((actual - exact).abs().max().item<float>() < 1e-6f);
        Assert.True((actual - tanh).abs().max().item<float>() > 1e-4f);
    }

    [Fact]
    public void Missing_folder_says_what_it_needs()
    {
        var ex = Assert.Throws<DirectoryNotFoundException>(() => BertModelFolder.Load("/nonexistent/bert"));
        Assert.Contains("vocab.txt", ex.Message);
    }
}
