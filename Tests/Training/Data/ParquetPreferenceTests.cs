using Parquet.Serialization;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class ParquetPreferenceTests : IDisposable
{
    readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    public sealed class FlatRow
    {
        public string? prompt { get; set; }
        public string? chosen { get; set; }
        public string? rejected { get; set; }
    }

    public sealed class Message
    {
        public string? role { get; set; }
        public string? content { get; set; }
    }

    public sealed class ChatRow
    {
        public string? prompt { get; set; }
        public List<Message>? chosen { get; set; }
        public List<Message>? rejected { get; set; }
    }

    [Fact]
    public async Task Flat_parquet_rows_are_read_with_1_based_row_numbers()
    {
        var path = _files.Path("flat.parquet");
        await ParquetSerializer.SerializeAsync(new[]
        {
            new FlatRow { prompt = "p1", chosen = "c1", rejected = "r1" },
            new FlatRow { prompt = "p2", chosen = "c2", rejected = "r2" },
        }, path);

        var rows = (await new PreferenceReader(PromptTemplate.Phi).ReadAsync(path)).Rows;

        Assert.Equal([new("p1", "c1", "r1", path, 1), new PreferenceRow("p2", "c2", "r2", path, 2)], rows);
    }

    [Fact]
    public async Task Conversational_parquet_rows_render_through_the_template()
    {
        var path = _files.Path("chat.parquet");
        Message M(string role, string content) => new() { role = role, content = content };
        await ParquetSerializer.SerializeAsync(new[]
        {
            new ChatRow { prompt = "2+2?", chosen = [M("user", "2+2?"), M("assistant", "4")], rejected = [M("user", "2+2?"), M("assistant", "5")] },
        }, path);

        var row = Assert.Single((await new PreferenceReader(PromptTemplate.Phi).ReadAsync(path)).Rows);

        Assert.Equal(("Instruct: 2+2?\nOutput:", " 4", " 5"), (row.Prompt, row.Chosen, row.Rejected));
    }

    [Fact]
    public async Task A_null_parquet_cell_names_file_row_and_field()
    {
        var path = _files.Path("nulls.parquet");
        await ParquetSerializer.SerializeAsync(new[]
        {
            new FlatRow { prompt = "p1", chosen = "c1", rejected = "r1" },
            new FlatRow { prompt = "p2", chosen = null, rejected = "r2" },
        }, path);

        var error = await Assert.ThrowsAsync<BadRowException>(() => new PreferenceReader(PromptTemplate.Phi).ReadAsync(path));

        Assert.Equal((path, 2, "chosen"), (error.File, error.Row, error.Field));
    }

    [Fact]
    public async Task A_file_that_is_not_parquet_is_named_in_the_error()
    {
        var path = _files.WriteLines("broken.parquet", "not parquet at all");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new PreferenceReader(PromptTemplate.Phi).ReadAsync(path));

        Assert.Contains(path, error.Message);
    }
}
