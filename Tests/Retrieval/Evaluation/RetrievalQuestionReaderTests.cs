using Pastanoodles.Retrieval.Evaluation;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Retrieval.Evaluation;

public class RetrievalQuestionReaderTests
{
    private const string Good =
        """{"question": "Q?", "options": {"A": "a", "B": "b", "C": "c", "D": "d"}, "answer": "B", "source": "cs/x.pdf", "page": 3}""";

    [Fact]
    public void A_valid_row_is_read_with_its_query_text()
    {
        var row = RetrievalQuestionReader.Parse(Good, "f row 1");
        Assert.Equal(("Q?", "B", "cs/x.pdf", 3), (row.Question, row.Answer, row.Source, row.Page));
        Assert.Equal("Q?\nA. a\nB. b\nC. c\nD. d", row.QueryWithOptions);
    }

    [Theory]
    [InlineData("""{"question": "Q?", "options": {"A": "a", "B": "b", "C": "c", "D": "d"}, "answer": "E", "source": "s", "page": 0}""", "field 'answer' is 'E'")]
    [InlineData("""{"question": "Q?", "options": {"A": "a", "B": "b", "C": "c"}, "answer": "A", "source": "s", "page": 0}""", "lacks D")]
    [InlineData("""{"question": "Q?", "options": {"A": "a", "B": "b", "C": "c", "D": "d"}, "answer": "A", "page": 0}""", "field 'source' is missing")]
    [InlineData("""{"question": "Q?", "options": {"A": "a", "B": "b", "C": "c", "D": "d"}, "answer": "A", "source": "s", "page": -1}""", "field 'page'")]
    [InlineData("""{"question": "", "options": {}, "answer": "A", "source": "s", "page": 0}""", "field 'question'")]
    [InlineData("""not json""", "not valid JSON")]
    public void Bad_rows_are_refused_naming_the_row_and_field(string line, string expected)
    {
        var error = Assert.Throws<RetrievalQuestionFormatException>(() => RetrievalQuestionReader.Parse(line, "q.jsonl row 7"));
        Assert.StartsWith("q.jsonl row 7: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Extra_fields_as_datasets_ship_them_are_ignored_and_counted_once()
    {
        using var folder = new TempDir();
        var path = folder.Combine("q.jsonl");
        File.WriteAllLines(path,
        [
            """{"id": "q1", "subject": "cs", "explanation": {"text": "x"}, """ + Good[1..],
            """{"id": "q2", """ + Good[1..],
            Good,
        ]);
        var notes = new List<string>();
        var rows = RetrievalQuestionReader.Read(path, notes.Add);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(("Q?", "B", "cs/x.pdf", 3), (r.Question, r.Answer, r.Source, r.Page)));
        var note = Assert.Single(notes);
        Assert.Contains("ignored 4 extra field(s)", note);
        Assert.EndsWith("id ×2, explanation ×1, subject ×1", note);
        notes.Clear();
        File.WriteAllLines(path, [Good]);
        RetrievalQuestionReader.Read(path, notes.Add);
        Assert.Empty(notes);
    }

    [Fact]
    public void File_errors_name_the_file_and_the_line_number()
    {
        using var folder = new TempDir();
        var path = folder.Combine("q.jsonl");
        File.WriteAllLines(path, [Good, "", Good.Replace("\"B\", \"source\"", "\"Z\", \"source\"")]);
        var error = Assert.Throws<RetrievalQuestionFormatException>(() => RetrievalQuestionReader.Read(path));
        Assert.StartsWith($"{path} row 3: field 'answer'", error.Message);
    }

    [Fact]
    public void The_sample_question_files_are_valid()
    {
        var samples = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "samples");
        Assert.Equal(24, RetrievalQuestionReader.Read(Path.Combine(samples, "questions.jsonl")).Count);
        Assert.Equal(24, RetrievalQuestionReader.Read(Path.Combine(samples, "questions-paraphrased.jsonl")).Count);
    }
}
