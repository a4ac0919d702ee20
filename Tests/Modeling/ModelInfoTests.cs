using Pastanoodles.Adapters;
using Pastanoodles.Modeling;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Modeling;

public class ModelInfoTests
{
    [Fact]
    public void Full_size_phi2_on_meta_has_the_seeds_counts_and_nf4_storage()
    {
        var info = ModelInfo.Measure(PhiConfig.Phi2, nf4: true, new LoraConfig());

        Assert.Equal(10_813_440, info.TrainableParameters);
        Assert.Equal(2_779_683_840, info.BaseParameters);           // = index total_size / 2
        Assert.Equal(2_779_683_840 + 10_813_440, info.TotalParameters);
        Assert.Equal(5_559_367_680, info.Bf16Bytes);
        Assert.Equal(192, info.QuantizedLayers);
        Assert.Equal(128, info.AdaptedLayers);
        Assert.Equal(43_253_760, info.AdapterBytes);

        // ml.md §4.4: 2,516,582,400 NF4 weights → 1,258,291,200 packed bytes, 39,321,600 uint8 absmax,
        // 153,600 fp32 nested absmax, one fp32 offset and the two code books per tensor; the rest stays 16-bit.
        long quantized = 2_516_582_400;
        long nf4 = 1_258_291_200 + 39_321_600 + 153_600 * 4 + 192 * (4 + 16 * 4 + 256 * 4);
        long sixteenBit = (2_779_683_840 - quantized) * 2;
        Assert.Equal(nf4 + sixteenBit, info.Nf4Bytes);
    }

    [Fact]
    public void Plain_lora_counts_no_magnitude()
    {
        var info = ModelInfo.Measure(PhiConfig.Phi2, nf4: false, new LoraConfig { UseDora = false });
        Assert.Equal(10_485_760, info.TrainableParameters);
        Assert.Equal(0, info.QuantizedLayers);
    }

    [Fact]
    public void A_built_model_measures_the_same_as_its_meta_twin()
    {
        using var model = TinyModels.Build(PhiConfig.Tiny, nf4: true);
        var adapters = AdapterInjector.Inject(model, new LoraConfig());
        var real = ModelInfo.Of(model, adapters);
        var meta = ModelInfo.Measure(PhiConfig.Tiny, nf4: true, new LoraConfig());
        Assert.Equal(meta, real);
    }
}
