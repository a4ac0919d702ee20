using System.CommandLine;
using Pastanoodles.Adapters;
using Pastanoodles.Modeling;
using Pastanoodles.Modeling.Checkpoints;
using Pastanoodles.Modeling.Generation;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Modeling.Tokenization;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles model ...`: inspect model configurations and checkpoint folders.</summary>
public static class ModelCommands
{
    public static Command Create()
    {
        var model = new Command("model", "Inspect a model (parameters, adapters, weight bytes) and generate text with it.");
        model.Subcommands.Add(Info());
        model.Subcommands.Add(Generate());
        return model;
    }

    static Command Generate()
    {
        var folder = new Option<string>("--model") { Description = "An HF model folder, or tiny/mid/phi-2 (random weights from --seed).", DefaultValueFactory = _ => "tiny" };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue.", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "A PEFT adapter folder to apply." };
        var tokens = new Option<int>("--max-new-tokens") { Description = "Tokens to generate at most.", DefaultValueFactory = _ => 32 };
        var temperature = new Option<double>("--temperature") { Description = "0 is greedy; above 0 samples.", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "Sample from the k likeliest tokens (0: all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Sampling seed (and init seed of a built-in config).", DefaultValueFactory = _ => 1 };
        var quant = new Option<string>("--quant") { Description = "nf4 or none.", DefaultValueFactory = _ => "nf4" };
        quant.AcceptOnlyFromAmong("nf4", "none");
        var command = new Command("generate", "Continue a prompt with KV-cached decoding (greedy or sampled).")
        {
            folder, prompt, adapter, tokens, temperature, topK, seed, quant,
        };
        command.SetAction((parseResult, _) => CommandErrors.RunAsync(parseResult, async () =>
        {
            var options = new PhiBuildOptions { Nf4 = parseResult.GetValue(quant) == "nf4" };
            var (phi, tokenizer) = PhiSource.Open(parseResult.GetValue(folder)!, options, parseResult.GetValue(seed));
            using var _ = phi;
            if (parseResult.GetValue(adapter) is { } adapterDir)
                PeftAdapterFolder.Load(phi, adapterDir);
            var ids = tokenizer.Encode(parseResult.GetValue(prompt)!);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var generated = TextGenerator.Generate(phi, ids, new SamplingOptions
            {
                MaxNewTokens = parseResult.GetValue(tokens),
                Temperature = parseResult.GetValue(temperature),
                TopK = parseResult.GetValue(topK),
                Seed = parseResult.GetValue(seed),
                StopTokenId = tokenizer.EosId,
            });
            var output = parseResult.InvocationConfiguration.Output;
            await output.WriteLineAsync(parseResult.GetValue(prompt) + tokenizer.Decode(generated));
            await output.WriteLineAsync($"({generated.Length} tokens in {watch.Elapsed.TotalSeconds:F2} s)");
        }));
        return command;
    }

    static Command Info()
    {
        var config = new Option<string?>("--config") { Description = "A built-in config: phi-2, tiny or mid. Default phi-2 unless --model is given." };
        var folder = new Option<string?>("--model") { Description = "An HF model folder (config.json + safetensors); its checkpoint headers are checked against the model." };
        var quant = new Option<string>("--quant") { Description = "Decoder linears: nf4 (4-bit, double quantized) or none (bf16).", DefaultValueFactory = _ => "nf4" };
        quant.AcceptOnlyFromAmong("nf4", "none");
        var adapter = new Option<string>("--adapter") { Description = "Adapter: dora, lora or none.", DefaultValueFactory = _ => "dora" };
        adapter.AcceptOnlyFromAmong("dora", "lora", "none");
        var rank = new Option<int>("--r") { Description = "Adapter rank.", DefaultValueFactory = _ => 16 };
        var alpha = new Option<double>("--alpha") { Description = "Adapter lora_alpha.", DefaultValueFactory = _ => 16 };
        var targets = new Option<string>("--targets") { Description = "Comma-separated target modules.", DefaultValueFactory = _ => "q_proj,k_proj,v_proj,dense" };

        var command = new Command("info", "Print parameter counts and weight bytes, measured on the real module tree (built on the meta device: no weight memory).")
        {
            config, folder, quant, adapter, rank, alpha, targets,
        };
        command.SetAction((parseResult, _) => CommandErrors.RunAsync(parseResult, async () =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var (name, dir) = (parseResult.GetValue(config), parseResult.GetValue(folder));
            if (name is not null && dir is not null)
                throw new ArgumentException("Give --config or --model, not both.");
            var phi = dir is null ? PhiConfig.BuiltIn(name ?? "phi-2") : HfModelFolder.ReadConfig(dir);
            if (dir is not null)
                await output.WriteLineAsync($"checkpoint: {HfModelFolder.CheckHeaders(dir, phi)}");

            var kind = parseResult.GetValue(adapter)!;
            var lora = kind == "none" ? null : new LoraConfig
            {
                R = parseResult.GetValue(rank),
                LoraAlpha = parseResult.GetValue(alpha),
                UseDora = kind == "dora",
                TargetModules = parseResult.GetValue(targets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            };
            bool nf4 = parseResult.GetValue(quant) == "nf4";
            var info = ModelInfo.Measure(phi, nf4, lora);

            await output.WriteLineAsync($"model: {dir ?? name ?? "phi-2"} (PhiForCausalLM: {phi.NumHiddenLayers} layers, hidden {phi.HiddenSize}, heads {phi.NumAttentionHeads}, vocab {phi.VocabSize})");
            await output.WriteLineAsync(nf4
                ? $"quantization: nf4, double quant, blocks 64/256, compute bf16 ({info.QuantizedLayers} linear layers in 4 bits)"
                : "quantization: none (bf16)");
            await output.WriteLineAsync(lora is null
                ? "adapter: none"
                : $"adapter: {kind} r={lora.R} alpha={lora.LoraAlpha} dropout={lora.LoraDropout} on {string.Join(",", lora.TargetModules)} ({info.AdaptedLayers} layers)");
            await output.WriteLineAsync($"trainable parameters: {info.TrainableParameters}");
            await output.WriteLineAsync($"total parameters: {info.TotalParameters}");
            await output.WriteLineAsync($"base parameters: {info.BaseParameters}");
            await output.WriteLineAsync($"weight bytes: bf16 {info.Bf16Bytes} nf4 {info.Nf4Bytes}");
            await output.WriteLineAsync($"adapter bytes: fp32 {info.AdapterBytes}");
        }));
        return command;
    }
}
