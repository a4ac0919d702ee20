using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class SourceMixTests
{
    static readonly IReadOnlyList<int> Hundred = Enumerable.Range(0, 100).ToList();

    [Theory]
    [InlineData("a.jsonl", "a.jsonl", null, null)]
    [InlineData("b.parquet:0.6", "b.parquet", 0.6, null)]
    [InlineData("c.jsonl:5000", "c.jsonl", null, 5000)]
    [InlineData("dir/d.jsonl:1.0", "dir/d.jsonl", 1.0, null)]
    public void Specs_parse_as_whole_fraction_or_count(string spec, string path, double? fraction, int? count)
    {
        Assert.Equal(new SourceSpec(path, fraction, count), SourceSpec.Parse(spec));
    }

    [Theory]
    [InlineData("b.parquet:1.5", "fraction 1.5")]
    [InlineData("b.parquet:0.0", "fraction 0.0")]
    [InlineData("b.parquet:0", "0 rows")]
    [InlineData("b.parquet:lots", "'lots'")]
    public void Bad_specs_name_the_source_and_value(string spec, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => SourceSpec.Parse(spec));

        Assert.Contains($"--source '{spec}'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_fraction_takes_that_share_of_rows_in_file_order()
    {
        var taken = SourceMix.Take(new SourceSpec("a", Fraction: 0.6), Hundred, new Random(1));

        Assert.Equal(60, taken.Count);
        Assert.Equal(taken.Order(), taken);
        Assert.Equal(60, taken.Distinct().Count());
    }

    [Fact]
    public void A_fraction_rounds_to_the_nearest_row()
    {
        Assert.Equal(2, SourceMix.Take(new SourceSpec("a", Fraction: 0.5), [1, 2, 3], new Random(1)).Count);
    }

    [Fact]
    public void A_count_takes_that_many_rows()
    {
        Assert.Equal(37, SourceMix.Take(new SourceSpec("a", Count: 37), Hundred, new Random(1)).Count);
    }

    [Fact]
    public void A_count_above_the_source_size_is_an_error_not_a_silent_all()
    {
        var error = Assert.Throws<ArgumentException>(() => SourceMix.Take(new SourceSpec("a.jsonl", Count: 101), Hundred, new Random(1)));

        Assert.Contains("asks for 101 rows but 'a.jsonl' has only 100", error.Message);
    }

    [Fact]
    public void A_whole_source_is_taken_unchanged()
    {
        Assert.Same(Hundred, SourceMix.Take(new SourceSpec("a"), Hundred, new Random(1)));
    }

    [Fact]
    public void The_same_seed_draws_the_same_rows_and_another_seed_other_rows()
    {
        var spec = new SourceSpec("a", Count: 10);

        var first = SourceMix.Take(spec, Hundred, Seeded.For(42, 1));
        var again = SourceMix.Take(spec, Hundred, Seeded.For(42, 1));
        var other = SourceMix.Take(spec, Hundred, Seeded.For(43, 1));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }
}
