using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pastanoodles.Training.Data;

/// <summary>Writes prepared data as JSONL plus a stats file, replacing earlier output only once everything is written.</summary>
/// <remarks>
/// Each file goes to a temporary name beside its target, and the targets are replaced only after every temporary
/// file is complete; a failure before that removes the temporaries and leaves any earlier output as it was.
/// </remarks>
public static class DatasetWriter
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    static readonly JsonSerializerOptions Indented = new(Json) { WriteIndented = true };

    /// <summary>Writes train.jsonl, eval.jsonl, test.jsonl and stats.json into <paramref name="directory"/>.</summary>
    public static async Task WritePreparedAsync(string directory, PreparedDataset prepared, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        await ReplaceAllAsync(
        [
            (Path.Combine(directory, "train.jsonl"), stream => WriteLinesAsync(stream, prepared.Split.Train, cancellationToken)),
            (Path.Combine(directory, "eval.jsonl"), stream => WriteLinesAsync(stream, prepared.Split.Eval, cancellationToken)),
            (Path.Combine(directory, "test.jsonl"), stream => WriteLinesAsync(stream, prepared.Split.Test, cancellationToken)),
            (Path.Combine(directory, "stats.json"), stream => JsonSerializer.SerializeAsync(stream, prepared.Report, Indented, cancellationToken)),
        ]);
    }

    /// <summary>Writes one JSONL file through a temporary file.</summary>
    public static Task WriteJsonLinesAsync<T>(string path, IEnumerable<T> rows, CancellationToken cancellationToken = default)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        return ReplaceAllAsync([(path, stream => WriteLinesAsync(stream, rows, cancellationToken))]);
    }

    static async Task WriteLinesAsync<T>(Stream stream, IEnumerable<T> rows, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(stream, leaveOpen: true) { NewLine = "\n" };
        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await writer.WriteLineAsync(JsonSerializer.Serialize(row, Json));
        }
    }

    static async Task ReplaceAllAsync(IReadOnlyList<(string Path, Func<Stream, Task> Write)> files)
    {
        var temporaries = files.Select(f => $"{f.Path}.{Guid.NewGuid():N}.tmp").ToArray();
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                await using var stream = new FileStream(temporaries[i], FileMode.CreateNew, FileAccess.Write);
                await files[i].Write(stream);
            }
            for (var i = 0; i < files.Count; i++)
                File.Move(temporaries[i], files[i].Path, overwrite: true);
        }
        finally
        {
            foreach (var temporary in temporaries)
                File.Delete(temporary);
        }
    }
}
