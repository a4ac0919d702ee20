using System.CommandLine;
using Microsoft.ML.Tokenizers;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Client.Commands;

/// <summary>`pastanoodles data ...`: prepare preference data for DPO and generate synthetic sets.</summary>
public static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", "Prepare preference data (mix, cap, truncate, split) and generate synthetic sets.");
        data.Subcommands.Add(Prepare());
        data.Subcommands.Add(Synth());
        return data;
    }

    static Command Prepare()
    {
        var source = new Option<string[]>("--source")
        {
            Description = "A JSONL or Parquet file, taken whole (a.jsonl), by fraction (b.parquet:0.6) or by row count (c.jsonl:5000). Repeat for several.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var map = new Option<string[]>("--map")
        {
            Description = "Columns of a source in no known layout: FILE:prompt=COLUMN,chosen=COLUMN,rejected=COLUMN[,system=COLUMN][,input=COLUMN]. "
                + "FILE as given to --source; roles not named keep the names prompt, chosen, rejected. Repeat for several files.",
            Arity = ArgumentArity.OneOrMore,
        };
        var maxPerPrompt = AtLeast(new Option<int>("--max-per-prompt") { Description = "Keep at most this many rows per identical prompt.", DefaultValueFactory = _ => 6 }, 1);
        var maxTokens = AtLeast(new Option<int>("--max-tokens") { Description = "Token budget for prompt + completion + EOS (GPT-2 BPE).", DefaultValueFactory = _ => 2048 }, 4);
        var maxPromptTokens = new Option<int?>("--max-prompt-tokens") { Description = "Tokens a too-long prompt is cut to, keeping its end. Default: half of --max-tokens." };
        var split = new Option<string>("--split") { Description = "Train, eval and test fractions; they must sum to 1.", DefaultValueFactory = _ => "0.75,0.125,0.125" };
        var seed = new Option<int>("--seed") { Description = "Seed for the source draws and the shuffle.", DefaultValueFactory = _ => 42 };
        var output = new Option<string>("--out") { Description = "Folder for train.jsonl, eval.jsonl, test.jsonl and stats.json.", Required = true };
        var skipBadRows = new Option<bool>("--skip-bad-rows") { Description = "Skip rows that cannot be used, and count them in the report, instead of stopping." };
        var template = new Option<string>("--template")
        {
            Description = "How conversational rows are rendered: phi, chatml, or a JSON file with keys system, user, assistant, other, generation, completion, apply_to_flat.",
            DefaultValueFactory = _ => "phi",
        };

        var command = new Command("prepare", "Mix preference sources, cap rows per prompt, truncate to a token budget, shuffle and split.")
        {
            source, map, maxPerPrompt, maxTokens, maxPromptTokens, split, seed, output, skipBadRows, template,
        };
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult, async () =>
        {
            var sources = SourceSpec.WithColumnMaps(parseResult.GetValue(source)!.Select(SourceSpec.Parse).ToList(), parseResult.GetValue(map) ?? []);
            var options = new PreparationOptions(sources)
            {
                MaxPerPrompt = parseResult.GetValue(maxPerPrompt),
                MaxTokens = parseResult.GetValue(maxTokens),
                MaxPromptTokens = parseResult.GetValue(maxPromptTokens),
                Split = SplitFractions.Parse(parseResult.GetValue(split)!),
                Seed = parseResult.GetValue(seed),
                SkipBadRows = parseResult.GetValue(skipBadRows),
                Template = PromptTemplate.Resolve(parseResult.GetValue(template)!),
            };
            var prepared = await PreferencePreparation.RunAsync(options, DefaultTokenizer(), cancellationToken);
            var directory = parseResult.GetValue(output)!;
            await DatasetWriter.WritePreparedAsync(directory, prepared, cancellationToken);
            var stdout = parseResult.InvocationConfiguration.Output;
            await stdout.WriteLineAsync(prepared.Report.Describe());
            await stdout.WriteLineAsync($"wrote {Path.Combine(directory, "{train,eval,test}.jsonl")} and {Path.Combine(directory, "stats.json")}");
        }));
        return command;
    }

    static Command Synth()
    {
        var kind = new Option<string>("--kind") { Description = "dpo: preference pairs; mcqa: multiple-choice questions.", Required = true };
        kind.AcceptOnlyFromAmong("dpo", "mcqa");
        var rows = AtLeast(new Option<int>("--rows") { Description = "How many rows to generate.", DefaultValueFactory = _ => 1000 }, 1);
        var seed = new Option<int>("--seed") { Description = "Same seed, same rows.", DefaultValueFactory = _ => 42 };
        var output = new Option<string>("--out") { Description = "The JSONL file to write.", Required = true };

        var command = new Command("synth", "Write a synthetic set with a learnable signal, for tests and the quickstart.") { kind, rows, seed, output };
        command.SetAction((parseResult, cancellationToken) => CommandErrors.RunAsync(parseResult, async () =>
        {
            var path = parseResult.GetValue(output)!;
            var (count, seedValue) = (parseResult.GetValue(rows), parseResult.GetValue(seed));
            if (parseResult.GetValue(kind) == "dpo")
                await DatasetWriter.WriteJsonLinesAsync(path, Synthetic.Preferences(count, seedValue), cancellationToken);
            else
                await DatasetWriter.WriteJsonLinesAsync(path, Synthetic.Mcqa(count, seedValue), cancellationToken);
            await parseResult.InvocationConfiguration.Output.WriteLineAsync($"wrote {count} {parseResult.GetValue(kind)} rows to {path}");
        }));
        return command;
    }

    /// <summary>GPT-2 BPE, which Phi-2 uses; the budget only counts tokens, so any <see cref="Tokenizer"/> would do.</summary>
    static Tokenizer DefaultTokenizer() => TiktokenTokenizer.CreateForEncoding("r50k_base");

    static Option<int> AtLeast(Option<int> option, int minimum)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value < minimum)
                result.AddError($"{option.Name} is {value}. It must be at least {minimum}.");
        });
        return option;
    }
}
