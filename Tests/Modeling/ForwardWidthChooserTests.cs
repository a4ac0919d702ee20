using Pastanoodles.Modeling;

namespace Pastanoodles.Tests.Modeling;

/// <summary><see cref="ForwardWidthChooser"/>: each path is measured first, then the faster per prompt token is used, the other tried
/// in short runs, a forward after a switch of path is not counted, and a lasting slowdown moves the choice where one stall does not.</summary>
public sealed class ForwardWidthChooserTests
{
    /// <summary>Asks for the next path and records it as taking <paramref name="wideMs"/> or <paramref name="narrowMs"/> for 100 tokens.</summary>
    static (bool Wide, bool Settled) Step(ForwardWidthChooser chooser, double wideMs, double narrowMs)
    {
        var wide = chooser.NextIsWide();
        return (wide, chooser.Record(wide, wide ? wideMs : narrowMs, tokens: 100));
    }

    [Fact]
    public void Measures_both_paths_then_takes_the_faster_and_tries_the_other_three_times_in_every_16()
    {
        var chooser = new ForwardWidthChooser();

        var warmUp = Enumerable.Range(0, 4).Select(_ => Step(chooser, wideMs: 6, narrowMs: 10)).ToList();
        Assert.Equal([(true, false), (true, false), (false, false), (false, true)], warmUp);   // settled once both are known
        Assert.Equal((0.06, 0.10), chooser.MsPerToken);

        var next = Enumerable.Range(0, 64).Select(_ => Step(chooser, 6, 10).Wide).ToList();
        Assert.Equal([12, 13, 14, 28, 29, 30, 44, 45, 46, 60, 61, 62], next.Select((w, i) => (w, i)).Where(x => !x.w).Select(x => x.i));
        Assert.Equal((0.06, 0.10), chooser.MsPerToken);
    }

    [Fact]
    public void A_busy_machine_that_slows_the_wide_path_moves_lone_forwards_to_one_core_and_back_when_it_is_quiet()
    {
        var chooser = new ForwardWidthChooser();
        for (int i = 0; i < 4; i++) Step(chooser, 6, 10);

        // Wide forwards now take 16 ms. The first, after narrow ones, is not counted; with the second the median passes narrow's 10
        // (one time at 6, one at 16), and the choice flips once.
        var busy = Enumerable.Range(0, 8).Select(_ => Step(chooser, 16, 10)).ToList();
        Assert.Equal([true, true, false], busy.Take(3).Select(s => s.Wide));
        Assert.Equal(1, busy.Count(s => s.Settled));
        Assert.False(chooser.NextIsWide());
        Assert.True(chooser.MsPerToken.Wide > chooser.MsPerToken.Narrow);

        // Quiet again: only the exploring runs see wide at 6 ms, and the first brings it back.
        var quiet = Enumerable.Range(0, 16 * 8).Select(_ => Step(chooser, 6, 10)).ToList();
        Assert.Equal(1, quiet.Count(s => s.Settled));
        Assert.True(quiet[^1].Wide);
        Assert.True(chooser.MsPerToken.Wide < chooser.MsPerToken.Narrow);
    }

    [Fact]
    public void One_stalled_forward_does_not_move_the_choice_but_a_lasting_slowdown_does()
    {
        var chooser = new ForwardWidthChooser();
        for (int i = 0; i < 2; i++) chooser.Record(wide: false, 10, 100);
        for (int i = 0; i < 1 + ForwardWidthChooser.Window; i++) chooser.Record(wide: true, 6, 100);   // after a switch, then a full window

        Assert.False(chooser.Record(wide: true, 100, 100));   // one stall
        Assert.Equal((0.06, 0.10), chooser.MsPerToken);
        Assert.True(chooser.NextIsWide());

        // Slower for good: with the stall, the second slow time makes three of five, and the choice flips.
        Assert.Equal([false, true, false], Enumerable.Range(0, 3).Select(_ => chooser.Record(wide: true, 16, 100)));
        Assert.Equal(0.16, chooser.MsPerToken.Wide);
        Assert.False(chooser.NextIsWide());
    }

    [Fact]
    public void A_forward_not_alone_is_not_counted_but_makes_the_next_one_on_the_other_path_a_switch()
    {
        var chooser = new ForwardWidthChooser();
        chooser.Record(wide: true, 6, 100);
        chooser.Record(wide: true, 50, 100, ranAlone: false);   // shared the cores: not counted
        chooser.Record(wide: true, 7, 100);
        chooser.Record(wide: false, 10, 100, ranAlone: false);  // narrow, during a burst
        chooser.Record(wide: true, 30, 100);                    // wide threads woken again: not counted

        Assert.Equal(0.07, chooser.MsPerToken.Wide);
        Assert.True(double.IsNaN(chooser.MsPerToken.Narrow));
    }

    [Fact]
    public void Time_is_compared_per_prompt_token_so_short_prompts_do_not_make_a_path_look_fast()
    {
        var chooser = new ForwardWidthChooser();
        chooser.Record(wide: true, 1, 10);             // each path's first is not counted
        chooser.Record(wide: true, 8, tokens: 1000);   // 0.008 ms per token on a long prompt
        chooser.Record(wide: false, 1, 10);
        chooser.Record(wide: false, 2, tokens: 100);   // 0.02 ms per token on a short one: slower, though less time

        Assert.Equal((0.008, 0.02), chooser.MsPerToken);
        Assert.True(chooser.NextIsWide());
    }
}
