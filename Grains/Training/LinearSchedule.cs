namespace Pastanoodles.Training;

/// <summary>HF's <c>get_linear_schedule_with_warmup</c> (and constant), as a multiplier of the base learning rate at optimizer step s (0-based).</summary>
/// <remarks>s &lt; W: s / max(1, W); then max(0, (S − s) / max(1, S − W)), with W warmup steps and S total steps.</remarks>
public static class LinearSchedule
{
    public static double Multiplier(string type, long step, long warmup, long total)
    {
        if (step < warmup)
            return (double)step / Math.Max(1, warmup);
        return type == "constant" ? 1.0 : Math.Max(0.0, (double)(total - step) / Math.Max(1, total - warmup));
    }
}
