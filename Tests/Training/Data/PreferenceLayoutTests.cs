using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class PreferenceLayoutTests : IDisposable
{
    readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    static PreferenceReader Reader(PromptTemplate? template = null, bool skip = false) => new(template ?? PromptTemplate.Phi, skip);

    [Fact]
    public async Task System_question_rows_render_the_system_text_as_a_system_turn()
    {
        var path = _files.WriteLines("orca.jsonl", """{"system": "You are helpful.", "question": "What is 2+2?", "chosen": "4", "rejected": "5"}""");

        var phi = Assert.Single((await Reader().ReadSourceAsync(path, null)).Rows);
        var chatMl = Assert.Single((await Reader(PromptTemplate.ChatMl).ReadSourceAsync(path, null)).Rows);

        Assert.Equal(("You are helpful.\nInstruct: What is 2+2?\nOutput:", " 4", " 5"), (phi.Prompt, phi.Chosen, phi.Rejected));
        Assert.Equal("<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n", chatMl.Prompt);
        Assert.Equal(("4<|im_end|>", "5<|im_end|>"), (chatMl.Chosen, chatMl.Rejected));
    }

    [Fact]
    public async Task An_empty_null_or_absent_system_adds_no_system_turn()
    {
        var path = _files.WriteLines("orca.jsonl",
            """{"system": "", "question": "q1", "chosen": "c", "rejected": "r"}""",
            """{"system": "  \n", "question": "q2", "chosen": "c", "rejected": "r"}""",
            """{"system": null, "question": "q3", "chosen": "c", "rejected": "r"}""",
            """{"question": "q4", "chosen": "c", "rejected": "r"}""");

        var read = await Reader().ReadSourceAsync(path, null);

        Assert.Equal(["Instruct: q1\nOutput:", "Instruct: q2\nOutput:", "Instruct: q3\nOutput:", "Instruct: q4\nOutput:"], read.Rows.Select(r => r.Prompt));
        Assert.Equal(new Dictionary<string, int> { ["system-question"] = 4 }, read.Layouts);
    }

    [Fact]
    public async Task Instruction_rows_append_the_input_and_ignore_and_count_ratings_and_metadata()
    {
        var path = _files.WriteLines("distilabel.jsonl",
            """{"metadata": "{}", "instruction": "Solve 3*3", "chosen_response": "9", "chosen_rating": 9.0, "rejected_response": "6", "rejected_rating": 2.0}""",
            """{"metadata": "{}", "instruction": "Add", "input": "2 and 2", "chosen_response": "4", "chosen_rating": 8.0, "rejected_response": "5", "rejected_rating": 1.0}""",
            """{"instruction": "Name red", "input": "", "chosen_response": "red", "rejected_response": "blue"}""");

        var read = await Reader().ReadSourceAsync(path, null);

        Assert.Equal(["Instruct: Solve 3*3\nOutput:", "Instruct: Add\n\n2 and 2\nOutput:", "Instruct: Name red\nOutput:"], read.Rows.Select(r => r.Prompt));
        Assert.Equal([" 9", " 4", " red"], read.Rows.Select(r => r.Chosen));
        Assert.Equal(new Dictionary<string, int> { ["instruction-response"] = 3 }, read.Layouts);
        Assert.Equal(new Dictionary<string, int> { ["chosen_rating"] = 2, ["metadata"] = 2, ["rejected_rating"] = 2 }, read.IgnoredColumns);
    }

    [Fact]
    public async Task Each_row_is_detected_on_its_own_so_a_merged_file_counts_both_layouts()
    {
        var path = _files.WriteLines("orca-math.jsonl",
            """{"system": "S", "question": "q1", "chosen": "c", "rejected": "r"}""",
            """{"instruction": "i2", "chosen_response": "c", "rejected_response": "r"}""",
            """{"system": "S", "question": "q3", "chosen": "c", "rejected": "r"}""",
            DataFiles.Flat("p4", "c", "r"),
            """{"chosen": [{"role":"user","content":"u5"},{"role":"assistant","content":"a"}], "rejected": [{"role":"user","content":"u5"},{"role":"assistant","content":"b"}]}""");

        var read = await Reader().ReadSourceAsync(path, null);

        Assert.Equal(new Dictionary<string, int> { ["system-question"] = 2, ["instruction-response"] = 1, ["trl-standard"] = 1, ["trl-conversational"] = 1 }, read.Layouts);
        Assert.Equal(["S\nInstruct: q1\nOutput:", "Instruct: i2\nOutput:", "S\nInstruct: q3\nOutput:", "p4", "Instruct: u5\nOutput:"], read.Rows.Select(r => r.Prompt));
    }

    [Fact]
    public async Task A_prompt_column_means_trl_and_other_columns_are_ignored()
    {
        var path = _files.WriteLines("a.jsonl", """{"id": "x1", "prompt": "p", "question": "not read", "system": "not read", "chosen": "c", "rejected": "r"}""");

        var read = await Reader().ReadSourceAsync(path, null);

        Assert.Equal(("p", "c", "r"), (read.Rows[0].Prompt, read.Rows[0].Chosen, read.Rows[0].Rejected));
        Assert.Equal(new Dictionary<string, int> { ["trl-standard"] = 1 }, read.Layouts);
        Assert.Equal(["id", "question", "system"], read.IgnoredColumns.Keys);
    }

    [Fact]
    public async Task A_column_map_reads_the_named_columns_and_renders_a_mapped_system()
    {
        var path = _files.WriteLines("b.jsonl",
            """{"q": "Hi?", "sys": "Be brief.", "good": "Hello", "bad": "Go away", "score": 3}""",
            """{"q": "Bye?", "sys": "", "good": "Bye", "bad": "No"}""");
        var (file, layout) = PreferenceLayout.ParseMap($"{path}:prompt=q,system=sys,chosen=good,rejected=bad");

        var read = await Reader().ReadSourceAsync(file, layout);

        Assert.Equal(["Be brief.\nInstruct: Hi?\nOutput:", "Instruct: Bye?\nOutput:"], read.Rows.Select(r => r.Prompt));
        Assert.Equal([" Hello", " Bye"], read.Rows.Select(r => r.Chosen));
        Assert.Equal(new Dictionary<string, int> { ["map(prompt=q,system=sys,chosen=good,rejected=bad)"] = 2 }, read.Layouts);
        Assert.Equal(new Dictionary<string, int> { ["score"] = 1 }, read.IgnoredColumns);
    }

    [Fact]
    public async Task A_map_without_system_or_input_keeps_flat_prompts_verbatim_and_unnamed_roles_keep_trl_names()
    {
        var path = _files.WriteLines("b.jsonl", """{"query": "raw prompt", "chosen": "c", "rejected": "r"}""");
        var (file, layout) = PreferenceLayout.ParseMap($"{path}:prompt=query");

        var row = Assert.Single((await Reader().ReadSourceAsync(file, layout)).Rows);

        Assert.Equal(("raw prompt", "c", "r"), (row.Prompt, row.Chosen, row.Rejected));
    }

    [Fact]
    public async Task A_mapped_column_the_file_lacks_is_one_line_naming_file_and_column()
    {
        var path = _files.WriteLines("b.jsonl", """{"q": "Hi?", "good": "a", "bad": "b"}""");
        var (file, layout) = PreferenceLayout.ParseMap($"{path}:prompt=q,system=sys,chosen=good,rejected=bad");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Reader().ReadSourceAsync(file, layout));

        Assert.Equal($"{path}: --map system=sys names column 'sys', which the file does not have. Its columns: bad, good, q.", error.Message);
    }

    [Theory]
    [InlineData("b.jsonl:promt=q", "'promt' is not a role. Roles: prompt, system, input, chosen, rejected.")]
    [InlineData("b.jsonl:prompt=", "role 'prompt' names no column")]
    [InlineData("b.jsonl:prompt=a,prompt=b", "role 'prompt' is mapped twice")]
    [InlineData("b.jsonl", "must look like FILE:prompt=COLUMN")]
    public void A_bad_map_names_the_role(string map, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => PreferenceLayout.ParseMap(map));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_map_for_a_file_that_is_not_a_source_is_an_error_and_a_map_attaches_to_every_spec_of_its_file()
    {
        var sources = new[] { SourceSpec.Parse("a.jsonl"), SourceSpec.Parse("b.jsonl:0.5"), SourceSpec.Parse("b.jsonl:3") };

        var error = Assert.Throws<ArgumentException>(() => SourceSpec.WithColumnMaps(sources, ["c.jsonl:prompt=q"]));
        var mapped = SourceSpec.WithColumnMaps(sources, ["b.jsonl:prompt=q"]);

        Assert.Contains("names 'c.jsonl', which is not a --source", error.Message);
        Assert.Equal([null, "q", "q"], mapped.Select(s => s.Columns?.Prompt));
    }

    [Theory]
    [InlineData("""{"system": "s", "question": "q", "chosen": "c"}""", "rejected", "is missing (the row was read as layout system-question")]
    [InlineData("""{"system": "s", "question": "", "chosen": "c", "rejected": "r"}""", "question", "is empty")]
    [InlineData("""{"system": 3, "question": "q", "chosen": "c", "rejected": "r"}""", "system", "is a number, expected a string")]
    [InlineData("""{"instruction": "i", "chosen_response": "c"}""", "rejected_response", "is missing (the row was read as layout instruction-response")]
    [InlineData("""{"chosen_response": "c", "rejected_response": "r"}""", "instruction", "is missing")]
    [InlineData("""{"instruction": "i", "input": 5, "chosen_response": "c", "rejected_response": "r"}""", "input", "is a number")]
    [InlineData("""{"q": "i", "good": "c", "bad": "r"}""", "chosen", "no known layout matches the row's columns: q, good, bad; name them with --map")]
    public async Task A_row_missing_a_field_of_its_layout_names_file_row_and_field(string badLine, string field, string problem)
    {
        var path = _files.WriteLines("bad.jsonl", """{"system": "s", "question": "q", "chosen": "c", "rejected": "r"}""", badLine);

        var error = await Assert.ThrowsAsync<BadRowException>(() => Reader().ReadSourceAsync(path, null));

        Assert.Equal((path, 2, field), (error.File, error.Row, error.Field));
        Assert.Contains(problem, error.Problem);
    }

    [Fact]
    public async Task Skipped_rows_group_by_reason_without_their_detail()
    {
        var path = _files.WriteLines("bad.jsonl",
            """{"question": "q", "chosen": "c"}""",
            """{"question": "q", "chosen": "c", "note": 1}""",
            """{"question": "q", "chosen": "", "rejected": "r"}""",
            """{"question": "q", "chosen": "c", "rejected": "r"}""");

        var read = await Reader(skip: true).ReadSourceAsync(path, null);

        Assert.Single(read.Rows);
        Assert.Equal(["rejected is missing", "rejected is missing", "chosen is empty"], read.Skipped.Select(b => b.Reason));
    }
}
