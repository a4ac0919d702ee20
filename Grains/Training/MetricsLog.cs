using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pastanoodles.Training;

/// <summary>One logged point: an optimizer step's train metrics, or an evaluation on the eval or test split.</summary>
public sealed record MetricRecord(long Step, string Split, double Epoch, IReadOnlyDictionary<string, double> Values)
{
    public double this[string key] => Values[key];
}

/// <summary>Metrics as JSON lines (<c>metrics.jsonl</c>): one object per record, TRL's metric names, plus step, split and epoch.</summary>
public sealed class MetricsLog(string path)
{
    public string Path { get; } = path;

    public void Append(MetricRecord record)
    {
        var obj = new JsonObject { ["step"] = record.Step, ["split"] = record.Split, ["epoch"] = Math.Round(record.Epoch, 4) };
        foreach (var (key, value) in record.Values) obj[key] = double.IsFinite(value) ? value : null;
        File.AppendAllText(Path, obj.ToJsonString() + "\n");
    }

    /// <summary>For a run resumed at <paramref name="step"/>: this log becomes the records of <paramref name="resumedLog"/> up to that step
    /// (a resumed run rewrites the rest). The resumed log may be another attempt's: it is only read.</summary>
    public void StartFrom(string resumedLog, long step)
    {
        var kept = ReadAll(resumedLog, untilStep: step);
        File.WriteAllText(Path, "");
        foreach (var record in kept) Append(record);
    }

    /// <summary>Every record of the log; with <paramref name="untilStep"/>, those up to that step only, read while another process may still
    /// append to the log (records come in step order, so reading stops at the first later record, or at a line still being written).</summary>
    public static IReadOnlyList<MetricRecord> ReadAll(string path, long? untilStep = null)
    {
        if (!File.Exists(path)) return [];
        var records = new List<MetricRecord>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                var obj = JsonNode.Parse(text)!.AsObject();
                var values = obj.Where(kv => kv.Key is not ("step" or "split" or "epoch") && kv.Value is not null)
                    .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
                var record = new MetricRecord(obj["step"]!.GetValue<long>(), obj["split"]!.GetValue<string>(), obj["epoch"]?.GetValue<double>() ?? 0, values);
                if (record.Step > untilStep)
                    break;
                records.Add(record);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
            {
                if (untilStep is not null)
                    break;   // the line a live writer is appending
                throw new InvalidDataException($"{path} row {line} is not a metrics record: {e.Message}", e);
            }
        }
        return records;
    }
}
