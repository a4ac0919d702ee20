using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Client;

/// <summary>`bench`'s options: a count out of range is refused in one line naming the option, before anything is generated or started.</summary>
public class BenchCommandsTests
{
    [Theory]
    [InlineData("retrieval --chunks 0", "--chunks is 0. It must be 1 or more.")]
    [InlineData("retrieval --queries 0", "--queries is 0. It must be 1 or more.")]
    [InlineData("retrieval --words -3", "--words is -3. It must be 1 or more.")]
    [InlineData("retrieval --lsa-sample 0", "--lsa-sample is 0. It must be 1 or more.")]
    [InlineData("retrieval --bert-chunks -1", "--bert-chunks is -1. It must be 0 or more.")]
    [InlineData("retrieval --dense-chunks 0", "--dense-chunks is 0. It must be 1 or more.")]
    [InlineData("cluster --asks 0", "--asks is 0. It must be 1 or more.")]
    [InlineData("cluster --silos 1,x", "--silos is '1,x'. Give positive counts like 1,4,16.")]
    [InlineData("train --steps 0", "--steps is 0. It must be 1 or more.")]
    public void A_count_out_of_range_fails_with_one_line(string options, string expected)
    {
        var result = Cli.Run(["bench", .. options.Split(' ')]);

        Assert.Equal((1, $"error: {expected}"), (result.ExitCode, result.Error.Trim()));
        Assert.Equal("", result.Output);
    }
}
