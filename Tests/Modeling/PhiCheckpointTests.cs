using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Modeling;

public class PhiCheckpointTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(20_000L)]
    public void Save_then_load_gives_identical_logits(long? maxShardBytes)
    {
        using var dir = new TempDir();
        using var model = TinyModels.Build();
        using var ids = TinyModels.Ids(model.Config.VocabSize, 12);
        using var expected = model.call(ids);

        HfModelFolder.Save(model, dir.Path, ScalarType.Float32, maxShardBytes);
        if (maxShardBytes is null)
            Assert.True(File.Exists(dir[HfModelFolder.SingleFile]));
        else
            Assert.True(Directory.GetFiles(dir.Path, "model-*-of-*.safetensors").Length > 1);

        using var loaded = HfModelFolder.Load(dir.Path, new PhiBuildOptions { DType = ScalarType.Float32 });
        using var actual = loaded.call(ids);
        Assert.Equal(0f, (expected - actual).abs().max().item<float>());
    }

    [Fact]
    public void Parameter_names_are_hf_checkpoint_keys()
    {
        using var model = TinyModels.Build();
        var keys = CheckpointMap.For(model).Keys.ToHashSet();
        Assert.Contains("model.embed_tokens.weight", keys);
        Assert.Contains("model.layers.1.self_attn.dense.bias", keys);
        Assert.Contains("model.layers.0.mlp.fc2.weight", keys);
        Assert.Contains("model.layers.0.input_layernorm.weight", keys);
        Assert.Contains("model.final_layernorm.bias", keys);
        Assert.Contains("lm_head.bias", keys);
        Assert.Equal(5 + 2 * 14, keys.Count);
    }

    [Fact]
    public void Missing_tensor_fails_naming_the_key()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Build();
        var tensors = CheckpointMap.For(model).Values.Where(t => t.Key != "model.layers.1.mlp.fc1.bias").Select(t => (t.Key, t.Read(ScalarType.Float32)));
        File.WriteAllText(dir["config.json"], model.Config.ToJson());
        SafeTensorsWriter.Write(dir[HfModelFolder.SingleFile], tensors);
        var ex = Assert.Throws<InvalidDataException>(() => HfModelFolder.Load(dir.Path));
        Assert.Contains("model.layers.1.mlp.fc1.bias", ex.Message);
        Assert.Contains("missing", ex.Message);
    }

    [Fact]
    public void Misshaped_tensor_fails_naming_key_and_both_shapes()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Build();
        var tensors = CheckpointMap.For(model).Values.Select(t =>
            (t.Key, t.Key == "model.layers.0.self_attn.k_proj.weight" ? zeros(32, 16) : t.Read(ScalarType.Float32)));
        File.WriteAllText(dir["config.json"], model.Config.ToJson());
        SafeTensorsWriter.Write(dir[HfModelFolder.SingleFile], tensors);
        var ex = Assert.Throws<InvalidDataException>(() => HfModelFolder.Load(dir.Path));
        Assert.Contains("model.layers.0.self_attn.k_proj.weight", ex.Message);
        Assert.Contains("[32, 32]", ex.Message);
        Assert.Contains("[32, 16]", ex.Message);
    }

    [Fact]
    public void Unexpected_tensor_fails_naming_the_key()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Build();
        var tensors = CheckpointMap.For(model).Values.Select(t => (t.Key, t.Read(ScalarType.Float32)))
            .Append(("model.layers.0.self_attn.rotary_emb.inv_freq", zeros(4)));
        File.WriteAllText(dir["config.json"], model.Config.ToJson());
        SafeTensorsWriter.Write(dir[HfModelFolder.SingleFile], tensors);
        var ex = Assert.Throws<InvalidDataException>(() => HfModelFolder.Load(dir.Path));
        Assert.Contains("model.layers.0.self_attn.rotary_emb.inv_freq", ex.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Loads_16bit_checkpoints(ScalarType fileType)
    {
        using var dir = new TempDir();
        using var model = TinyModels.Build();
        HfModelFolder.Save(model, dir.Path, fileType);
        using var reader = new SafeTensorsReader(dir[HfModelFolder.SingleFile]);
        Assert.All(reader.Entries.Values, e => Assert.Equal(fileType == ScalarType.Float16 ? "F16" : "BF16", e.DType));
        Assert.Equal("pt", reader.Metadata["format"]);

        using var loaded = HfModelFolder.Load(dir.Path, new PhiBuildOptions { DType = ScalarType.Float32 });
        using var ids = TinyModels.Ids(model.Config.VocabSize, 8);
        using var a = model.call(ids);
        using var b = loaded.call(ids);
        Assert.True((a - b).abs().max().item<float>() < 0.05f);
    }

    [Fact]
    public void Nf4_load_quantizes_layer_by_layer_and_stays_close()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Build(PhiConfig.Tiny);
        HfModelFolder.Save(model, dir.Path, ScalarType.BFloat16);
        using var quantized = HfModelFolder.Load(dir.Path, new PhiBuildOptions { DType = ScalarType.BFloat16, Nf4 = true });
        Assert.Contains(quantized.modules(), m => m is Pastanoodles.Quantization.Linear4bit);
        Assert.DoesNotContain(quantized.named_parameters(), p => p.name.EndsWith("q_proj.weight"));
        using var ids = TinyModels.Ids(model.Config.VocabSize, 8);
        using var a = model.call(ids).softmax(-1);
        using var b = quantized.call(ids).softmax(-1);
        Assert.True((a - b).abs().sum(-1).max().item<float>() < 0.1f, "NF4 model's next-token distributions drift too far from the full-precision model");
    }

    [Fact]
    public void Corrupt_safetensors_header_is_reported_with_the_file()
    {
        using var dir = new TempDir();
        var path = dir["model.safetensors"];
        File.WriteAllBytes(path, BitConverter.GetBytes(16L).Concat("{\"a\": {\"dtype\"}}"u8.ToArray()).ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => new SafeTensorsReader(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Safetensors_with_a_hole_is_rejected()
    {
        using var dir = new TempDir();
        var path = dir["model.safetensors"];
        var header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"u8.ToArray();
        File.WriteAllBytes(path, BitConverter.GetBytes((long)header.Length).Concat(header).Concat(new byte[8]).ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => new SafeTensorsReader(path));
        Assert.Contains("hole", ex.Message);
    }

    [Fact]
    public void Config_json_round_trips_and_unsupported_values_are_named()
    {
        var again = PhiConfig.FromJson(PhiConfig.Phi2.ToJson(), "test");
        Assert.Equal(PhiConfig.Phi2.ToJson(), again.ToJson());
        Assert.Equal(2560, again.HiddenSize);
        Assert.Equal(80, PhiConfig.Phi2.HeadDim);
        Assert.Equal(32, PhiConfig.Phi2.RotaryDim);
        var ex = Assert.Throws<InvalidDataException>(() => PhiConfig.FromJson("{\"model_type\": \"llama\"}", "x/config.json"));
        Assert.Contains("x/config.json", ex.Message);
        Assert.Contains("llama", ex.Message);
    }
}
