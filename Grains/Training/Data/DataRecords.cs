using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Parquet.Serialization;

namespace Pastanoodles.Training.Data;

/// <summary>One row of a data file as a JSON object, or the reason it could not be read.</summary>
/// <param name="Row">1-based: the JSONL line number, or the Parquet row number.</param>
public readonly record struct DataRecord(int Row, JsonObject? Fields, BadRowException? Error);

/// <summary>The rows read from one file and the bad rows skipped on the way (empty unless skipping was asked for).</summary>
public sealed record SourceRows<T>(IReadOnlyList<T> Rows, IReadOnlyList<BadRowException> Skipped);

/// <summary>Reads JSONL and Parquet files into <see cref="DataRecord"/>s, so every row reader checks fields one way.</summary>
/// <remarks>
/// Parquet rows go through the same JSON object model (nested lists and structs become arrays and objects),
/// which keeps one set of field checks and one set of error messages for both formats. A null Parquet cell is a JSON
/// null (the reader leaves it out of the row; it is put back from the schema), so every row has every column.
/// Blank JSONL lines are not rows and are passed over; every other line yields exactly one record.
/// </remarks>
public static class DataRecords
{
    public static async Task<IReadOnlyList<DataRecord>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Data file '{path}' does not exist.", path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".json" => ReadJsonLines(path, await File.ReadAllBytesAsync(path, cancellationToken)),
            ".parquet" => await ReadParquetAsync(path, cancellationToken),
            var other => throw new NotSupportedException(
                $"Data file '{path}' has extension '{other}'. Supported: .jsonl (one JSON object per line) and .parquet."),
        };
    }

    /// <summary>Splits UTF-8 bytes on '\n' and parses each non-blank line as a JSON object.</summary>
    public static IReadOnlyList<DataRecord> ReadJsonLines(string file, ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith("\uFEFF"u8))
            bytes = bytes[3..];
        var records = new List<DataRecord>();
        var line = 0;
        while (!bytes.IsEmpty)
        {
            line++;
            var end = bytes.IndexOf((byte)'\n');
            var text = end < 0 ? bytes : bytes[..end];
            bytes = end < 0 ? [] : bytes[(end + 1)..];
            if (text.EndsWith("\r"u8))
                text = text[..^1];
            if (text.Trim(" \t"u8).IsEmpty)
                continue;
            records.Add(ParseLine(file, line, text));
        }
        return records;
    }

    static DataRecord ParseLine(string file, int line, ReadOnlySpan<byte> text)
    {
        if (!Utf8.IsValid(text))
            return new(line, null, new BadRowException(file, line, FieldWithInvalidUtf8(text), "contains invalid UTF-8 bytes"));
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException ex)
        {
            return new(line, null, new BadRowException(file, line, "$", $"is not valid JSON ({ex.Message})"));
        }
        return node is JsonObject obj
            ? new(line, obj, null)
            : new(line, null, new BadRowException(file, line, "$", $"is a JSON {Describe(node)}, expected an object"));
    }

    /// <summary>The top-level property whose name or string value holds the invalid bytes, or "$".</summary>
    static string FieldWithInvalidUtf8(ReadOnlySpan<byte> text)
    {
        var reader = new Utf8JsonReader(text);
        string field = "$";
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    if (!Utf8.IsValid(reader.ValueSpan))
                        return "$";
                    field = reader.GetString()!;
                }
                else if (reader.TokenType == JsonTokenType.String && !Utf8.IsValid(reader.ValueSpan))
                    return field;
            }
        }
        catch (JsonException)
        {
        }
        return field;
    }

    static async Task<IReadOnlyList<DataRecord>> ReadParquetAsync(string path, CancellationToken cancellationToken)
    {
        IList<Dictionary<string, object>> rows;
        IReadOnlyList<string> columns;
        try
        {
            await using var stream = File.OpenRead(path);
            var result = await ParquetSerializer.DeserializeUntypedAsync(stream, cancellationToken: cancellationToken);
            rows = result.Data;
            columns = result.Schema.Fields.Select(f => f.Name).ToList();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidDataException($"'{path}' is not a readable Parquet file: {ex.Message}", ex);
        }
        var records = new List<DataRecord>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var node = (JsonObject)JsonSerializer.SerializeToNode(rows[i])!;
            foreach (var column in columns)
                node.TryAdd(column, null);
            records.Add(new(i + 1, node, null));
        }
        return records;
    }

    /// <summary>Parses every record, throwing at the first bad one unless <paramref name="skipBadRows"/>.</summary>
    public static SourceRows<T> Parse<T>(IReadOnlyList<DataRecord> records, string path, bool skipBadRows, Func<RowFields, T> parse)
    {
        var rows = new List<T>(records.Count);
        var skipped = new List<BadRowException>();
        foreach (var record in records)
        {
            var error = record.Error;
            if (error is null)
            {
                try
                {
                    rows.Add(parse(new RowFields(path, record.Row, record.Fields!)));
                    continue;
                }
                catch (BadRowException ex)
                {
                    error = ex;
                }
            }
            if (!skipBadRows)
                throw error;
            skipped.Add(error);
        }
        return new(rows, skipped);
    }

    /// <summary>"string", "number", "list", "object", "null", "true/false": what a value is, for error messages.</summary>
    public static string Describe(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.Array => "list",
        JsonValueKind.Object => "object",
        _ => "boolean",
    };
}
