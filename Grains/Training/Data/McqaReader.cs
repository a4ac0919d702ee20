using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pastanoodles.Training.Data;

/// <summary>Reads multiple-choice questions from JSONL in MMLU form or GPQA form.</summary>
/// <remarks>
/// MMLU form (cais/mmlu): <c>question</c>, <c>choices</c> (a list of 2–26 strings) and <c>answer</c>, a 0-based index
/// or a letter ("B"); <c>subject</c> is optional. GPQA form: <c>question</c>, <c>correct_answer</c> and
/// <c>incorrect_answers</c> (a list), or the original columns <c>Question</c>, <c>Correct Answer</c>,
/// <c>Incorrect Answer 1..3</c>. GPQA options are trimmed (the release pads some) and shuffled with a generator
/// seeded from the run's seed and the row number, so a row's letters do not depend on the rows around it.
/// </remarks>
public sealed class McqaReader(int seed = 42, bool skipBadRows = false)
{
    public const int MaxChoices = 26;

    public async Task<SourceRows<McqaRow>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var records = await DataRecords.ReadAsync(path, cancellationToken);
        return DataRecords.Parse(records, path, skipBadRows, fields => Parse(fields, path));
    }

    public McqaRow Parse(RowFields fields, string source)
    {
        var question = fields.Find("question", "Question") is { } q
            ? fields.Text(q.Node, q.Name)
            : throw fields.Bad("question", "is missing");
        if (fields.Has("choices"))
            return ParseMmlu(fields, source, question);
        if (fields.Find("correct_answer", "Correct Answer") is { } correct)
            return ParseGpqa(fields, source, question, fields.Text(correct.Node, correct.Name).Trim());
        throw fields.Bad("choices", "is missing; a row needs MMLU's choices + answer, or GPQA's correct_answer + incorrect_answers");
    }

    McqaRow ParseMmlu(RowFields fields, string source, string question)
    {
        if (fields.Require("choices") is not JsonArray list)
            throw fields.Bad("choices", $"is a {DataRecords.Describe(fields.Require("choices"))}, expected a list of strings");
        if (list.Count is < 2 or > MaxChoices)
            throw fields.Bad("choices", $"has {list.Count} options; a question needs 2 to {MaxChoices}");
        var choices = new List<string>(list.Count);
        for (var i = 0; i < list.Count; i++)
            choices.Add(fields.Text(list[i], $"choices[{i}]"));

        var answerNode = fields.Require("answer");
        int answer;
        if (answerNode.GetValueKind() == JsonValueKind.Number)
        {
            if (!answerNode.AsValue().TryGetValue(out answer))
                throw fields.Bad("answer", $"is {answerNode.ToJsonString()}, expected a whole 0-based index");
        }
        else if (answerNode.GetValueKind() == JsonValueKind.String && answerNode.GetValue<string>().Trim() is [var letter] && char.IsAsciiLetter(letter))
            answer = char.ToUpperInvariant(letter) - 'A';
        else
            throw fields.Bad("answer", $"is {answerNode.ToJsonString()}, expected a 0-based index or a letter A–{McqaRow.Letter(choices.Count - 1)}");
        if (answer < 0 || answer >= choices.Count)
            throw fields.Bad("answer", $"is {answerNode.ToJsonString()}, but there are only {choices.Count} options (A–{McqaRow.Letter(choices.Count - 1)})");

        var subject = fields.Find("subject") is { Node: { } s } && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : null;
        return new(question, choices, answer, source, fields.Row, subject);
    }

    McqaRow ParseGpqa(RowFields fields, string source, string question, string correct)
    {
        var incorrect = new List<string>();
        if (fields.Find("incorrect_answers") is { } listField)
        {
            if (listField.Node is not JsonArray list)
                throw fields.Bad("incorrect_answers", $"is a {DataRecords.Describe(listField.Node)}, expected a list of strings");
            for (var i = 0; i < list.Count; i++)
                incorrect.Add(fields.Text(list[i], $"incorrect_answers[{i}]").Trim());
        }
        else
        {
            for (var i = 1; fields.Find($"Incorrect Answer {i}") is { } column; i++)
                incorrect.Add(fields.Text(column.Node, column.Name).Trim());
            if (incorrect.Count == 0)
                throw fields.Bad("incorrect_answers", "is missing (nor are there 'Incorrect Answer 1'... columns)");
        }
        if (incorrect.Count is 0 or >= MaxChoices)
            throw fields.Bad("incorrect_answers", $"has {incorrect.Count} answers; a question needs 1 to {MaxChoices - 1} besides the correct one");

        // Shuffle positions, not texts, so a correct answer that repeats an incorrect one's text still has one index.
        var order = Enumerable.Range(0, incorrect.Count + 1).ToArray();
        Seeded.Shuffle(order, Seeded.For(seed, fields.Row));
        var choices = order.Select(i => i == 0 ? correct : incorrect[i - 1]).ToList();
        return new(question, choices, Array.IndexOf(order, 0), source, fields.Row);
    }
}
