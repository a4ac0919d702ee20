using Pastanoodles.Training.Data;

namespace Pastanoodles.Training;

/// <summary>The three splits a run trains, evaluates and tests on: prepared files, or synthetic rows split 0.75/0.125/0.125.</summary>
public static class TrainingData
{
    public static DatasetSplit<PreferenceRow> Preferences(TrainingConfig config, CancellationToken ct = default)
    {
        if (config.TrainFile is null)
            return DatasetSplit<PreferenceRow>.Create(Synthetic.Preferences(config.SyntheticRows, config.SyntheticSeed), new SplitFractions(), config.SyntheticSeed);
        var reader = new PreferenceReader(PromptTemplate.Phi);
        return new(Read(reader.ReadAsync, config.TrainFile, ct), ReadOptional(reader.ReadAsync, config.EvalFile, ct), ReadOptional(reader.ReadAsync, config.TestFile, ct));
    }

    public static DatasetSplit<McqaRow> Mcqa(TrainingConfig config, CancellationToken ct = default)
    {
        if (config.TrainFile is null)
            return DatasetSplit<McqaRow>.Create(Synthetic.Mcqa(config.SyntheticRows, config.SyntheticSeed), new SplitFractions(), config.SyntheticSeed);
        var reader = new McqaReader(config.Seed);
        return new(Read(reader.ReadAsync, config.TrainFile, ct), ReadOptional(reader.ReadAsync, config.EvalFile, ct), ReadOptional(reader.ReadAsync, config.TestFile, ct));
    }

    static IReadOnlyList<T> Read<T>(Func<string, CancellationToken, Task<SourceRows<T>>> read, string path, CancellationToken ct)
    {
        var rows = read(path, ct).GetAwaiter().GetResult().Rows;
        return rows.Count > 0 ? rows : throw new InvalidDataException($"{path} has no rows.");
    }

    static IReadOnlyList<T> ReadOptional<T>(Func<string, CancellationToken, Task<SourceRows<T>>> read, string? path, CancellationToken ct) =>
        path is null ? [] : Read(read, path, ct);
}
