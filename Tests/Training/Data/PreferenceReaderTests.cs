using System.Text;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class PreferenceReaderTests : IDisposable
{
    readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    static PreferenceReader Reader(bool skip = false) => new(PromptTemplate.Phi, skip);

    [Fact]
    public async Task Flat_rows_are_read_verbatim_with_their_line_numbers()
    {
        var path = _files.WriteLines("a.jsonl", DataFiles.Flat("p1", "c1", "r1"), "", DataFiles.Flat("p2", "c2", "r2"));

        var rows = (await Reader().ReadAsync(path)).Rows;

        Assert.Equal([new("p1", "c1", "r1", path, 1), new PreferenceRow("p2", "c2", "r2", path, 3)], rows);
    }

    [Fact]
    public async Task Conversational_rows_take_the_shared_leading_messages_as_prompt()
    {
        var path = _files.WriteLines("chat.jsonl", """
            {"prompt": "ignored", "chosen": [{"role":"system","content":"Be brief."},{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}], "rejected": [{"role":"system","content":"Be brief."},{"role":"user","content":"2+2?"},{"role":"assistant","content":"5"}]}
            """.ReplaceLineEndings(""));

        var row = Assert.Single((await new PreferenceReader(PromptTemplate.ChatMl).ReadAsync(path)).Rows);

        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", row.Prompt);
        Assert.Equal("4<|im_end|>", row.Chosen);
        Assert.Equal("5<|im_end|>", row.Rejected);
    }

    [Fact]
    public async Task Conversational_rows_without_shared_messages_use_the_prompt_field()
    {
        var path = _files.WriteLines("chat.jsonl",
            """{"prompt": [{"role":"user","content":"Name a color."}], "chosen": [{"role":"assistant","content":"Red"}], "rejected": [{"role":"assistant","content":"Dog"}]}""",
            """{"prompt": "Name a fruit.", "chosen": [{"role":"assistant","content":"Apple"}], "rejected": [{"role":"assistant","content":"Hammer"}]}""");

        var rows = (await Reader().ReadAsync(path)).Rows;

        Assert.Equal(("Instruct: Name a color.\nOutput:", " Red", " Dog"), (rows[0].Prompt, rows[0].Chosen, rows[0].Rejected));
        Assert.Equal(("Instruct: Name a fruit.\nOutput:", " Apple", " Hammer"), (rows[1].Prompt, rows[1].Chosen, rows[1].Rejected));
    }

    [Fact]
    public async Task Template_applies_to_flat_rows_only_when_asked()
    {
        var path = _files.WriteLines("a.jsonl", DataFiles.Flat("Hi?", "Yes", "No"));

        var row = Assert.Single((await new PreferenceReader(PromptTemplate.Phi with { ApplyToFlat = true }).ReadAsync(path)).Rows);

        Assert.Equal(("Instruct: Hi?\nOutput:", " Yes", " No"), (row.Prompt, row.Chosen, row.Rejected));
    }

    [Theory]
    [InlineData("""{"chosen": "c", "rejected": "r"}""", "prompt", "is missing")]
    [InlineData("""{"prompt": "p", "rejected": "r"}""", "chosen", "is missing")]
    [InlineData("""{"prompt": "p", "chosen": "c"}""", "rejected", "is missing")]
    [InlineData("""{"prompt": "p", "chosen": "  ", "rejected": "r"}""", "chosen", "is empty")]
    [InlineData("""{"prompt": "", "chosen": "c", "rejected": "r"}""", "prompt", "is empty")]
    [InlineData("""{"prompt": "p", "chosen": 3, "rejected": "r"}""", "chosen", "is a number, expected a string")]
    [InlineData("""{"prompt": "p", "chosen": "c", "rejected": null}""", "rejected", "is null")]
    [InlineData("""{"prompt": "p", "chosen": [{"role":"assistant","content":"a"}], "rejected": "r"}""", "rejected", "same form")]
    [InlineData("""{"prompt": "p", "chosen": [{"role":"assistant"}], "rejected": [{"role":"assistant","content":"b"}]}""", "chosen[0].content", "is missing")]
    [InlineData("""{"prompt": "p", "chosen": [{"role":"assistant","content":"a"}], "rejected": [{"content":"b"}]}""", "rejected[0].role", "is missing")]
    [InlineData("""{"chosen": [{"role":"assistant","content":"a"}], "rejected": [{"role":"assistant","content":"b"}]}""", "prompt", "share no leading messages")]
    [InlineData("""{"prompt": "p", "chosen": [{"role":"assistant","content":"a"}], "rejected": [{"role":"assistant","content":"a"}]}""", "rejected", "identical")]
    [InlineData("{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"", "$", "is not valid JSON")]
    [InlineData("""["p", "c", "r"]""", "$", "expected an object")]
    public async Task A_bad_row_names_file_row_and_field(string badLine, string field, string problem)
    {
        var path = _files.WriteLines("bad.jsonl", DataFiles.Flat("p", "c", "r"), badLine);

        var error = await Assert.ThrowsAsync<BadRowException>(() => Reader().ReadAsync(path));

        Assert.Equal((path, 2, field), (error.File, error.Row, error.Field));
        Assert.Contains(problem, error.Problem);
        Assert.Contains($"{path} row 2, field '{field}'", error.Message);
    }

    [Fact]
    public async Task Invalid_utf8_names_the_field_that_holds_it()
    {
        var good = Encoding.UTF8.GetBytes(DataFiles.Flat("p", "c", "r") + "\n");
        var bad = Encoding.UTF8.GetBytes("{\"prompt\": \"p\", \"chosen\": \"caf\u00e9\", \"rejected\": \"r\"}\n");
        var at = Array.IndexOf(bad, (byte)0xC3);
        bad[at + 1] = 0x28; // 0xC3 0x28: a lead byte followed by a non-continuation byte.
        var path = _files.WriteBytes("utf8.jsonl", [.. good, .. bad]);

        var error = await Assert.ThrowsAsync<BadRowException>(() => Reader().ReadAsync(path));

        Assert.Equal((path, 2, "chosen"), (error.File, error.Row, error.Field));
        Assert.Contains("UTF-8", error.Problem);
    }

    [Fact]
    public async Task Skipping_bad_rows_keeps_the_good_ones_and_returns_each_bad_one()
    {
        var path = _files.WriteLines("mixed.jsonl",
            DataFiles.Flat("p1", "c", "r"),
            """{"prompt": "p2", "chosen": "", "rejected": "r"}""",
            "not json",
            DataFiles.Flat("p4", "c", "r"));

        var read = await Reader(skip: true).ReadAsync(path);

        Assert.Equal(["p1", "p4"], read.Rows.Select(r => r.Prompt));
        Assert.Equal([(2, "chosen"), (3, "$")], read.Skipped.Select(e => (e.Row, e.Field)));
    }
}
