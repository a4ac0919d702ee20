using Pastanoodles.Answering;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Training;

/// <summary>Scores a base model with an adapter on a data file: DPO reward accuracy, or MCQA letter accuracy with per-question predictions.</summary>
public static class Evaluation
{
    public sealed record McqaOutcome(double Accuracy, int Questions, string? PredictionsFile);

    /// <param name="model">tiny, mid, phi-2 (random weights from init_seed 1, as a run of that name trains on) or an HF folder.</param>
    public static IReadOnlyDictionary<string, double> Dpo(string model, string adapter, string dataFile, bool nf4 = true, string dtype = "bfloat16", double beta = 0.1)
    {
        var config = Config(ExperimentKinds.Dpo, model, adapter, dataFile, nf4) with { Beta = beta, ComputeDtype = dtype };
        // Data first: a missing or empty file is reported before a model is built.
        var rows = new PreferenceReader(PromptTemplate.Phi).ReadAsync(dataFile).GetAwaiter().GetResult().Rows;
        if (rows.Count == 0)
            throw new InvalidDataException($"{dataFile} has no preference rows, so there is nothing to evaluate. ---> HINT: give a JSONL file with prompt, chosen and rejected on each line.");
        using var trained = TrainingModel.Create(config);
        trained.Model.eval();
        var task = new DpoTask(trained, config, new DatasetSplit<PreferenceRow>([], [], rows));
        return task.Evaluate(Splits.Test);
    }

    public static McqaOutcome Mcqa(string model, string? adapter, string dataFile, string? predictionsFile, bool nf4 = true, string dtype = "bfloat16")
    {
        var config = Config(ExperimentKinds.Mcqa, model, adapter, dataFile, nf4) with { ComputeDtype = dtype };
        using var trained = TrainingModel.Create(config);
        trained.Model.eval();
        var rows = new McqaReader().ReadAsync(dataFile).GetAwaiter().GetResult().Rows;
        var task = new McqaTask(trained, config, new DatasetSplit<McqaRow>([], [], rows));
        var predictions = rows.Zip(task.Predict(Splits.Test), (r, c) => new McqaPrediction(r, c.Letter, c.LogLikelihoods)).ToList();
        if (predictionsFile is not null)
            McqaPredictions.Write(predictionsFile, predictions);
        var accuracy = McqaPredictions.Accuracy(predictions);
        return new McqaOutcome(accuracy, rows.Count, predictionsFile);
    }

    static TrainingConfig Config(string task, string model, string? adapter, string dataFile, bool nf4)
    {
        if (!File.Exists(dataFile))
            throw new FileNotFoundException($"Data file {dataFile} does not exist.", dataFile);
        if (adapter is not null && !Directory.Exists(adapter))
            throw new DirectoryNotFoundException($"Adapter folder {adapter} does not exist.");
        return new TrainingConfig
        {
            Task = task,
            Model = model,
            Quantization = nf4 ? "nf4" : "none",
            InitAdapter = adapter,
            Lora = new Adapters.LoraConfig { LoraDropout = 0 },
            TrainFile = dataFile,
        };
    }
}
