// Reads evaluation JSONL: {"question": ..., "options": {"A": ..., "B": ..., "C": ..., "D": ...}, "answer": "B",
// "source": "physics/optics.pdf", "page": 3}. Other fields (id, subject, explanation, ... as MCQA datasets ship them)
// are ignored and counted. Every error names the file, the 1-based row and the field.
using System.Text.Json;

namespace Pastanoodles.Retrieval.Evaluation;

/// <summary>Raised when an evaluation file has a bad row; the message names file, row and field.</summary>
public sealed class RetrievalQuestionFormatException(string message, Exception? inner = null) : FormatException(message, inner);

/// <summary>Loads and validates <see cref="RetrievalQuestion"/> rows from a JSONL file.</summary>
public static class RetrievalQuestionReader
{
    private static readonly string[] s_letters = ["A", "B", "C", "D"];
    private static readonly HashSet<string> s_fields = ["question", "options", "answer", "source", "page"];

    /// <param name="note">Told once, when some rows carry fields beyond the five read, how many were ignored and which.</param>
    public static IReadOnlyList<RetrievalQuestion> Read(string path, Action<string>? note = null)
    {
        var ignored = new List<string>();
        if (!File.Exists(path))
            throw new FileNotFoundException($"Question file '{path}' does not exist.", path);
        var rows = new List<RetrievalQuestion>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            rows.Add(Parse(line, $"{path} row {number}", ignored));
        }
        if (ignored.Count > 0)
            note?.Invoke($"note: {path}: ignored {ignored.Count} extra field(s) beyond {string.Join(", ", s_fields)}: " +
                string.Join(", ", ignored.CountBy(f => f).OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} ×{p.Value}")));
        if (rows.Count == 0)
            throw new RetrievalQuestionFormatException($"{path} holds no rows. HINT: one JSON object per line, see samples/questions.jsonl.");
        return rows;
    }

    /// <param name="ignored">Collects the names of the fields that are not read.</param>
    public static RetrievalQuestion Parse(string line, string where, ICollection<string>? ignored = null)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new RetrievalQuestionFormatException($"{where}: not valid JSON ({e.Message}).", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new RetrievalQuestionFormatException($"{where}: expected a JSON object, got {root.ValueKind}.");
            foreach (var property in root.EnumerateObject())
                if (!s_fields.Contains(property.Name))
                    ignored?.Add(property.Name);

            var question = RequiredString(root, "question", where);
            if (!root.TryGetProperty("options", out var optionsElement) || optionsElement.ValueKind != JsonValueKind.Object)
                throw new RetrievalQuestionFormatException($"{where}: field 'options' must be an object with keys A, B, C, D.");
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var option in optionsElement.EnumerateObject())
            {
                if (!s_letters.Contains(option.Name))
                    throw new RetrievalQuestionFormatException($"{where}: field 'options' has key '{option.Name}'; keys must be A, B, C, D.");
                if (option.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(option.Value.GetString()))
                    throw new RetrievalQuestionFormatException($"{where}: field 'options.{option.Name}' must be a non-empty string.");
                options[option.Name] = option.Value.GetString()!;
            }
            var missing = s_letters.Where(l => !options.ContainsKey(l)).ToList();
            if (missing.Count > 0)
                throw new RetrievalQuestionFormatException($"{where}: field 'options' lacks {string.Join(", ", missing)}; it needs A, B, C, D.");

            var answer = RequiredString(root, "answer", where);
            if (!s_letters.Contains(answer))
                throw new RetrievalQuestionFormatException($"{where}: field 'answer' is '{answer}'. It must be one of A, B, C, D.");
            var source = RequiredString(root, "source", where);
            if (!root.TryGetProperty("page", out var pageElement) || pageElement.ValueKind != JsonValueKind.Number
                || !pageElement.TryGetInt32(out var page) || page < 0)
                throw new RetrievalQuestionFormatException($"{where}: field 'page' must be a whole number, 0 or more (0-based page).");
            return new RetrievalQuestion(question, options, answer, source, page);
        }
    }

    private static string RequiredString(JsonElement root, string field, string where)
    {
        if (!root.TryGetProperty(field, out var value))
            throw new RetrievalQuestionFormatException($"{where}: field '{field}' is missing.");
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw new RetrievalQuestionFormatException($"{where}: field '{field}' must be a non-empty string, got {value.ValueKind}.");
        return value.GetString()!;
    }
}
