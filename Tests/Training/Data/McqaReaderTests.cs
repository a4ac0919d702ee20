using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class McqaReaderTests : IDisposable
{
    readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Mmlu_rows_take_an_index_or_a_letter()
    {
        var path = _files.WriteLines("mmlu.jsonl",
            """{"question": "2+2?", "choices": ["3", "4", "5", "6"], "answer": 1, "subject": "elementary_mathematics"}""",
            """{"question": "Sky?", "choices": ["red", "green", "blue"], "answer": "c"}""");

        var rows = (await new McqaReader().ReadAsync(path)).Rows;

        Assert.Equal(('B', "elementary_mathematics", 1), (rows[0].AnswerLetter, rows[0].Subject, rows[0].Row));
        Assert.Equal(["3", "4", "5", "6"], rows[0].Choices);
        Assert.Equal(('C', null, 2), (rows[1].AnswerLetter, rows[1].Subject, rows[1].Row));
    }

    [Fact]
    public async Task Gpqa_rows_are_shuffled_into_lettered_options_with_the_seed()
    {
        var lines = Enumerable.Range(1, 40)
            .Select(i => $$"""{"question": "Q{{i}}", "correct_answer": " right{{i}} ", "incorrect_answers": ["w{{i}}a", "w{{i}}b", "w{{i}}c"]}""")
            .ToArray();
        var path = _files.WriteLines("gpqa.jsonl", lines);

        var rows = (await new McqaReader(seed: 1).ReadAsync(path)).Rows;
        var again = (await new McqaReader(seed: 1).ReadAsync(path)).Rows;
        var other = (await new McqaReader(seed: 2).ReadAsync(path)).Rows;

        Assert.All(rows, r => Assert.Equal($"right{r.Row}", r.Choices[r.Answer]));
        Assert.All(rows, r => Assert.Equal(4, r.Choices.Distinct().Count()));
        Assert.Equal(rows.Select(r => r.Choices), again.Select(r => r.Choices));
        Assert.NotEqual(rows.Select(r => r.Answer), other.Select(r => r.Answer));
        Assert.Equal(4, rows.Select(r => r.Answer).Distinct().Count());
    }

    [Fact]
    public async Task Gpqa_original_columns_are_read_too()
    {
        var path = _files.WriteLines("gpqa.jsonl",
            """{"Question": "Q", "Correct Answer": "yes", "Incorrect Answer 1": "no", "Incorrect Answer 2": "maybe", "Incorrect Answer 3": "never"}""");

        var row = Assert.Single((await new McqaReader().ReadAsync(path)).Rows);

        Assert.Equal("yes", row.Choices[row.Answer]);
        Assert.Equal(["maybe", "never", "no", "yes"], row.Choices.Order());
    }

    [Theory]
    [InlineData("""{"choices": ["a", "b"], "answer": 0}""", "question", "is missing")]
    [InlineData("""{"question": "Q", "answer": 0}""", "choices", "is missing")]
    [InlineData("""{"question": "Q", "choices": "a b", "answer": 0}""", "choices", "expected a list")]
    [InlineData("""{"question": "Q", "choices": ["a"], "answer": 0}""", "choices", "has 1 options")]
    [InlineData("""{"question": "Q", "choices": ["a", ""], "answer": 0}""", "choices[1]", "is empty")]
    [InlineData("""{"question": "Q", "choices": ["a", "b"]}""", "answer", "is missing")]
    [InlineData("""{"question": "Q", "choices": ["a", "b"], "answer": 2}""", "answer", "only 2 options")]
    [InlineData("""{"question": "Q", "choices": ["a", "b"], "answer": "C"}""", "answer", "only 2 options")]
    [InlineData("""{"question": "Q", "choices": ["a", "b"], "answer": 0.5}""", "answer", "whole 0-based index")]
    [InlineData("""{"question": "Q", "choices": ["a", "b"], "answer": true}""", "answer", "index or a letter")]
    [InlineData("""{"question": "Q", "correct_answer": "a"}""", "incorrect_answers", "is missing")]
    [InlineData("""{"question": "Q", "correct_answer": "", "incorrect_answers": ["b"]}""", "correct_answer", "is empty")]
    [InlineData("""{"question": "Q", "correct_answer": "a", "incorrect_answers": []}""", "incorrect_answers", "has 0 answers")]
    [InlineData("""{"question": 7, "choices": ["a", "b"], "answer": 0}""", "question", "is a number")]
    [InlineData("""{"question": "Q",""", "$", "is not valid JSON")]
    public async Task A_bad_row_names_file_row_and_field(string badLine, string field, string problem)
    {
        var path = _files.WriteLines("bad.jsonl", """{"question": "ok", "choices": ["a", "b"], "answer": 0}""", badLine);

        var error = await Assert.ThrowsAsync<BadRowException>(() => new McqaReader().ReadAsync(path));

        Assert.Equal((path, 2, field), (error.File, error.Row, error.Field));
        Assert.Contains(problem, error.Problem);
    }

    [Fact]
    public async Task Skipping_bad_rows_counts_them()
    {
        var path = _files.WriteLines("mixed.jsonl",
            """{"question": "ok", "choices": ["a", "b"], "answer": 0}""",
            """{"question": "bad", "choices": ["a", "b"], "answer": 9}""");

        var read = await new McqaReader(skipBadRows: true).ReadAsync(path);

        Assert.Single(read.Rows);
        Assert.Equal((2, "answer"), (read.Skipped.Single().Row, read.Skipped.Single().Field));
    }
}
