using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class DatasetSplitTests
{
    [Theory]
    [InlineData(8, 6, 1, 1)]
    [InlineData(100, 75, 13, 12)]
    [InlineData(26900, 20175, 3363, 3362)]
    [InlineData(1, 1, 0, 0)]
    [InlineData(0, 0, 0, 0)]
    public void Split_sizes_follow_the_fractions_and_sum_to_the_total(int total, int train, int eval, int test)
    {
        Assert.Equal((train, eval, test), DatasetSplit<int>.Sizes(total, new SplitFractions()));
    }

    [Fact]
    public void Every_row_lands_in_exactly_one_part()
    {
        var split = DatasetSplit<int>.Create(Enumerable.Range(0, 1000), new SplitFractions(), seed: 42);

        Assert.Equal((750, 125, 125), (split.Train.Count, split.Eval.Count, split.Test.Count));
        Assert.Equal(Enumerable.Range(0, 1000), split.Train.Concat(split.Eval).Concat(split.Test).Order());
    }

    [Fact]
    public void The_same_seed_gives_the_same_split_and_another_seed_a_different_one()
    {
        var rows = Enumerable.Range(0, 200).ToList();

        var first = DatasetSplit<int>.Create(rows, new SplitFractions(), 7);
        var again = DatasetSplit<int>.Create(rows, new SplitFractions(), 7);
        var other = DatasetSplit<int>.Create(rows, new SplitFractions(), 8);

        Assert.Equal(first.Train, again.Train);
        Assert.Equal(first.Test, again.Test);
        Assert.NotEqual(first.Train, other.Train);
    }

    [Fact]
    public void Fractions_parse_from_the_command_line_form()
    {
        Assert.Equal(new SplitFractions(0.8, 0.1, 0.1), SplitFractions.Parse("0.8, 0.1,0.1"));
    }

    [Theory]
    [InlineData("0.7,0.2,0.2", "sums to 1.1")]
    [InlineData("0.75,0.25", "2 values")]
    [InlineData("0.75,x,0.125", "'x' is not a fraction")]
    [InlineData("1.2,-0.1,-0.1", "'-0.1' is not a fraction")]
    public void Bad_fractions_name_the_option_and_value(string text, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => SplitFractions.Parse(text));

        Assert.Contains($"--split is '{text}'", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
