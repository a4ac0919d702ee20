using System.Text.Json.Nodes;
using Pastanoodles.Adapters;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Adapters;

public class PeftAdapterFolderTests
{
    static readonly LoraConfig Config = new() { R = 4, LoraAlpha = 8, LoraDropout = 0.05 };

    [Fact]
    public void Peft_format_round_trip_gives_identical_outputs()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Build(seed: 1);
        var adapters = AdapterInjector.Inject(model, Config, seed: 2);
        using (no_grad())
            foreach (var (_, layer) in adapters.Layers) { layer.LoraB.normal_(0, 0.05); layer.Magnitude!.mul_(1.1); }
        using var ids = TinyModels.Ids(model.Config.VocabSize, 7);
        using var _ = no_grad();
        using var expected = model.call(ids);
        PeftAdapterFolder.Save(adapters, dir.Path, "pastanoodles/micro");

        using var fresh = TinyModels.Build(seed: 1);
        var loaded = PeftAdapterFolder.Load(fresh, dir.Path);
        using var actual = fresh.call(ids);
        Assert.Equal(0f, (expected - actual).abs().max().item<float>());
        Assert.Equal(adapters.TrainableCount, loaded.TrainableCount);
    }

    [Fact]
    public void Files_use_peft_names_config_keys_and_metadata()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Build();
        PeftAdapterFolder.Save(AdapterInjector.Inject(model, Config), dir.Path, "microsoft/phi-2");

        var config = JsonNode.Parse(File.ReadAllText(dir[PeftAdapterFolder.ConfigFile]))!.AsObject();
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.True(config["use_dora"]!.GetValue<bool>());
        Assert.True(config["inference_mode"]!.GetValue<bool>());
        Assert.Equal("microsoft/phi-2", config["base_model_name_or_path"]!.GetValue<string>());
        var keys = config.Select(kv => kv.Key).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);

        using var reader = new SafeTensorsReader(dir[PeftAdapterFolder.WeightsFile]);
        Assert.Equal("pt", reader.Metadata["format"]);
        Assert.Equal(2 * 4 * 3, reader.Entries.Count);
        Assert.Equal(new long[] { 4, 32 }, reader.Entries["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);
        Assert.Equal(new long[] { 32, 4 }, reader.Entries["base_model.model.model.layers.1.self_attn.dense.lora_B.weight"].Shape);
        Assert.Equal(new long[] { 32 }, reader.Entries["base_model.model.model.layers.1.self_attn.v_proj.lora_magnitude_vector"].Shape);
        Assert.All(reader.Entries.Values, e => Assert.Equal("F32", e.DType));
    }

    [Fact]
    public void Peft_magnitude_with_weight_suffix_loads_and_wrong_shapes_are_named()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Build();
        var adapters = AdapterInjector.Inject(model, Config);
        PeftAdapterFolder.Save(adapters, dir.Path);
        using var reader = new SafeTensorsReader(dir[PeftAdapterFolder.WeightsFile]);
        var renamed = reader.Entries.Keys.Select(k => (k.EndsWith("lora_magnitude_vector") ? k + ".weight" : k, reader.Read(k))).ToList();
        reader.Dispose();
        SafeTensorsWriter.Write(dir[PeftAdapterFolder.WeightsFile], renamed);
        using var other = TinyModels.Build();
        Assert.Equal(adapters.TrainableCount, PeftAdapterFolder.Load(other, dir.Path).TrainableCount);

        var bad = renamed.Select(t => t.Item1.EndsWith("layers.0.self_attn.k_proj.lora_A.weight") ? (t.Item1, zeros(4, 31)) : t);
        SafeTensorsWriter.Write(dir[PeftAdapterFolder.WeightsFile], bad);
        using var third = TinyModels.Build();
        var ex = Assert.Throws<InvalidDataException>(() => PeftAdapterFolder.Load(third, dir.Path));
        Assert.Contains("layers.0.self_attn.k_proj.lora_A.weight", ex.Message);
        Assert.DoesNotContain(third.modules(), m => m is LoraLinear);   // the model is left as it was
        Assert.Contains("[4, 32]", ex.Message);
        Assert.Contains("[4, 31]", ex.Message);
    }
}
