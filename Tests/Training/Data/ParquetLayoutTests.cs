using Parquet.Serialization;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

/// <summary>The known layouts and a column map as Parquet files, the form the seed's Hub sources ship in.</summary>
public class ParquetLayoutTests : IDisposable
{
    readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    public sealed class SystemQuestionRow
    {
        public string? system { get; set; }
        public string? question { get; set; }
        public string? chosen { get; set; }
        public string? rejected { get; set; }
    }

    public sealed class InstructionRow
    {
        public string? metadata { get; set; }
        public string? instruction { get; set; }
        public string? chosen_response { get; set; }
        public double chosen_rating { get; set; }
        public string? rejected_response { get; set; }
        public double rejected_rating { get; set; }
    }

    public sealed class ChatRow
    {
        public string? prompt { get; set; }
        public string? prompt_id { get; set; }
        public List<ParquetPreferenceTests.Message>? chosen { get; set; }
        public List<ParquetPreferenceTests.Message>? rejected { get; set; }
        public double score_chosen { get; set; }
    }

    public sealed class OddRow
    {
        public string? sys { get; set; }
        public string? q { get; set; }
        public string? good { get; set; }
        public string? bad { get; set; }
    }

    static ParquetPreferenceTests.Message M(string role, string content) => new() { role = role, content = content };

    static PreferenceReader Reader => new(PromptTemplate.ChatMl);

    [Fact]
    public async Task System_question_parquet_with_empty_and_null_system_cells_adds_a_system_turn_only_for_text()
    {
        var path = _files.Path("neural-dpo.parquet");
        await ParquetSerializer.SerializeAsync(new[]
        {
            new SystemQuestionRow { system = "Be exact.", question = "2+2?", chosen = "4", rejected = "5" },
            new SystemQuestionRow { system = "", question = "3+3?", chosen = "6", rejected = "7" },
            new SystemQuestionRow { system = null, question = "4+4?", chosen = "8", rejected = "9" },
        }, path);

        var read = await Reader.ReadSourceAsync(path, null);

        Assert.Equal(
        [
            "<|im_start|>system\nBe exact.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n",
            "<|im_start|>user\n3+3?<|im_end|>\n<|im_start|>assistant\n",
            "<|im_start|>user\n4+4?<|im_end|>\n<|im_start|>assistant\n",
        ], read.Rows.Select(r => r.Prompt));
        Assert.Equal(["4<|im_end|>", "6<|im_end|>", "8<|im_end|>"], read.Rows.Select(r => r.Chosen));
        Assert.Equal([1, 2, 3], read.Rows.Select(r => r.Row));
        Assert.Equal(new Dictionary<string, int> { ["system-question"] = 3 }, read.Layouts);
    }

    [Fact]
    public async Task Instruction_parquet_reads_responses_and_counts_rating_and_metadata_columns()
    {
        var path = _files.Path("distilabel-math.parquet");
        await ParquetSerializer.SerializeAsync(new[]
        {
            new InstructionRow { metadata = "{}", instruction = "Solve 3*3", chosen_response = "9", chosen_rating = 9, rejected_response = "6", rejected_rating = 3 },
            new InstructionRow { metadata = "{}", instruction = "Solve 2*5", chosen_response = "10", chosen_rating = 8, rejected_response = "7", rejected_rating = 2 },
        }, path);

        var read = await Reader.ReadSourceAsync(path, null);

        Assert.Equal(("<|im_start|>user\nSolve 2*5<|im_end|>\n<|im_start|>assistant\n", "10<|im_end|>", "7<|im_end|>"),
            (read.Rows[1].Prompt, read.Rows[1].Chosen, read.Rows[1].Rejected));
        Assert.Equal(new Dictionary<string, int> { ["instruction-response"] = 2 }, read.Layouts);
        Assert.Equal(new Dictionary<string, int> { ["chosen_rating"] = 2, ["metadata"] = 2, ["rejected_rating"] = 2 }, read.IgnoredColumns);
    }

    [Fact]
    public async Task Conversational_parquet_with_nested_message_lists_takes_system_and_user_turns_as_prompt()
    {
        var path = _files.Path("openhermes.parquet");
        await ParquetSerializer.SerializeAsync(new[]
        {
            new ChatRow
            {
                prompt = "2+2?", prompt_id = "a1", score_chosen = 9,
                chosen = [M("system", "Be exact."), M("user", "2+2?"), M("assistant", "4")],
                rejected = [M("system", "Be exact."), M("user", "2+2?"), M("assistant", "5")],
            },
            new ChatRow
            {
                prompt = "Hi", prompt_id = "a2", score_chosen = 7,
                chosen = [M("system", ""), M("user", "Hi"), M("assistant", "Hello"), M("user", "Bye"), M("assistant", "Bye!")],
                rejected = [M("system", ""), M("user", "Hi"), M("assistant", "Go")],
            },
        }, path);

        var read = await Reader.ReadSourceAsync(path, null);

        Assert.Equal("<|im_start|>system\nBe exact.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", read.Rows[0].Prompt);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", read.Rows[1].Prompt);
        Assert.Equal("Hello<|im_end|><|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\nBye!<|im_end|>\n", read.Rows[1].Chosen);
        Assert.Equal(new Dictionary<string, int> { ["trl-conversational"] = 2 }, read.Layouts);
        Assert.Equal(new Dictionary<string, int> { ["prompt_id"] = 2, ["score_chosen"] = 2 }, read.IgnoredColumns);
    }

    [Fact]
    public async Task Mapped_parquet_reads_its_own_column_names()
    {
        var path = _files.Path("odd.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new OddRow { sys = "", q = "Hi?", good = "Hello", bad = "Go away" } }, path);
        var (file, layout) = PreferenceLayout.ParseMap($"{path}:prompt=q,system=sys,chosen=good,rejected=bad");

        var row = Assert.Single((await Reader.ReadSourceAsync(file, layout)).Rows);

        Assert.Equal(("<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n", "Hello<|im_end|>"), (row.Prompt, row.Chosen));
    }

    [Fact]
    public async Task A_null_parquet_cell_in_a_known_layout_names_file_row_and_field()
    {
        var path = _files.Path("nulls.parquet");
        await ParquetSerializer.SerializeAsync(new[]
        {
            new SystemQuestionRow { system = "s", question = "q", chosen = "c", rejected = "r" },
            new SystemQuestionRow { system = "s", question = null, chosen = "c", rejected = "r" },
        }, path);

        var error = await Assert.ThrowsAsync<BadRowException>(() => Reader.ReadSourceAsync(path, null));

        Assert.Equal((path, 2, "question", "is null"), (error.File, error.Row, error.Field, error.Problem));
    }
}
