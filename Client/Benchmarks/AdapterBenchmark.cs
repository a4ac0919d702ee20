using Pastanoodles.Adapters;
using Pastanoodles.Answering;
using Pastanoodles.Client.Benchmarks.Support;
using Pastanoodles.Modeling;
using Pastanoodles.Modeling.Phi;
using static TorchSharp.torch;

namespace Pastanoodles.Client.Benchmarks;

/// <summary>`bench adapters`: memory for answering with N adapters on one shared base, against one base copy per adapter (the
/// layout silos used before adapters were chosen per call).</summary>
public static class AdapterBenchmark
{
    public static async Task RunAsync(TextWriter output, string model, IReadOnlyList<int> shared, IReadOnlyList<int> copies)
    {
        var config = PhiConfig.BuiltIn(model);
        var lora = new LoraConfig();   // the seed's QDoRA: r 16, DoRA on q_proj, k_proj, v_proj, dense
        using var scratch = new ScratchDir();
        var folders = WriteAdapters(scratch.Path, model, config, lora, Math.Max(shared.DefaultIfEmpty(0).Max(), copies.DefaultIfEmpty(0).Max()));
        var question = McqaQuestion.Parse("Which is a prime number? A. 4 B. 6 C. 7 D. 9");

        await output.WriteLineAsync($"{model} in NF4 (bf16 compute), adapters r {lora.R} {(lora.UseDora ? "DoRA" : "LoRA")} on {string.Join(", ", lora.TargetModules)}; RSS after GC and malloc_trim");
        await output.WriteLineAsync($"{"layout",-20} {"adapters",8} {"RSS MiB",9} {"+RSS MiB",9} {"base MiB",9} {"adapters MiB",13} {"MiB/adapter",12}");
        await output.WriteLineAsync("(+RSS: over the process before that layout's first load; base and adapters: their tensors' bytes)");

        if (shared.Count > 0)
        {
            var start = Rss();
            using var loaded = LoadedModel.Load(model, maxAdapters: shared.Max());
            var baseBytes = ModelInfo.Of(loaded.Model, null).Nf4Bytes;
            await Row(output, "shared base", 0, start, baseBytes, 0);
            var attached = 0;
            foreach (var n in shared.Order())
            {
                for (; attached < n; attached++)
                    AnswerPipeline.Answer(loaded, folders[attached], question, [], 0);   // loads the adapter and answers with it
                await Row(output, "shared base", n, start, baseBytes, loaded.Adapters.ResidentBytes);
            }
        }

        foreach (var n in copies.Order())
        {
            var start = Rss();
            var models = new List<LoadedModel>();
            try
            {
                for (var i = 0; i < n; i++)
                {
                    models.Add(LoadedModel.Load(model, folders[i]));
                    AnswerPipeline.Answer(models[i], folders[i], question, [], 0);
                }
                await Row(output, "a base per adapter", n, start, models.Sum(m => ModelInfo.Of(m.Model, null).Nf4Bytes), models.Sum(m => m.Adapter!.Bytes));
            }
            finally
            {
                models.ForEach(m => m.Dispose());
            }
        }
    }

    static async Task Row(TextWriter output, string layout, int adapters, long start, long baseBytes, long adapterBytes)
    {
        var rss = Rss();
        var perAdapter = adapters == 0 ? "" : $"{adapterBytes / (double)adapters / Mi:F1}";
        await output.WriteLineAsync($"{layout,-20} {adapters,8} {rss / Mi,9:F0} {(rss - start) / Mi,9:F0} {baseBytes / Mi,9:F0} {adapterBytes / Mi,13:F1} {perAdapter,12}");
    }

    const double Mi = 1024 * 1024;

    /// <summary>Resident memory now (VmRSS), after a collection and malloc_trim so freed memory is not counted.</summary>
    static long Rss()
    {
        PeakMemory.Reset();
        return PeakMemory.Resident();
    }

    /// <summary>PEFT folders for <paramref name="config"/>, each a fresh adapter with B and the magnitude moved by its own seed.</summary>
    static List<string> WriteAdapters(string root, string name, PhiConfig config, LoraConfig lora, int count)
    {
        using var model = new PhiForCausalLM(config, new PhiBuildOptions { DType = ScalarType.BFloat16 }).InitializeWeights(LoadedModel.BuiltInSeed);
        var adapters = AdapterInjector.Inject(model, lora);
        var folders = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var g = new TorchSharp.torch.Generator((ulong)i + 1);
            using (no_grad())
                foreach (var (_, layer) in adapters.Layers)
                {
                    layer.LoraB.normal_(0, 0.01, g);
                    layer.Magnitude?.mul_(1 + 0.01 * randn(layer.Magnitude.shape, generator: g));
                }
            var folder = Path.Combine(root, $"run{i}");
            PeftAdapterFolder.Save(adapters, folder, name);
            folders.Add(folder);
        }
        return folders;
    }
}
