namespace Pastanoodles.Modeling;

/// <summary>Chooses where a forward that runs alone goes: to a wide thread (libtorch's intra-op threads on every core) or a narrow one
/// (one core), by what each took lately, per prompt token, for forwards that ran alone.</summary>
/// <remarks>
/// <para>Measured with <c>bench cluster</c> on 2 cores: a lone forward of the tiny model took ~6 ms wide against ~9–10 narrow on a
/// quiet machine, but 16 ms wide (p99 half a second) against 10 narrow while two other processes kept both cores busy: a wide forward
/// waits at each parallel region for the core it does not get. Which one wins depends on what else runs on the machine, so it is
/// measured, not configured:</para>
/// <list type="bullet">
/// <item>each path's figure is the median of its last <see cref="Window"/> times per prompt token, and the faster path is used;</item>
/// <item>every <see cref="ExploreEvery"/> lone forwards, <see cref="ExploreRun"/> in a row take the other path, so that its figure follows
/// the machine;</item>
/// <item>a forward that follows one on the other path is not counted: it pays for waking that path's threads (a wide forward right after
/// narrow ones took 10.8 ms against 7.6 after wide ones), and counting it kept the wide path looking slow for good;</item>
/// <item>a median, not a mean: here 1.6–3 % of wide forwards stalled for 50–360 ms (narrow ones never passed 28 ms), and a mean would
/// let each stall send lone forwards to the slower path for dozens of answers. The stalls are the price of the wide path's p50 on a
/// small shared machine; <c>Answer:WideLoneForwards=false</c> turns it off.</item>
/// </list>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class ForwardWidthChooser
{
    /// <summary>How often, in lone forwards, the path not preferred is tried again.</summary>
    public const int ExploreEvery = 16;

    /// <summary>How many lone forwards in a row each try takes. The first is not counted (it follows the other path), nor is the first
    /// back on the preferred path.</summary>
    public const int ExploreRun = 3;

    /// <summary>How many of each path's latest times its median is taken over.</summary>
    public const int Window = 5;

    readonly Lock _lock = new();
    readonly Timing _wide = new(), _narrow = new();
    long _lone;
    bool? _lastWide;

    /// <summary>Whether the next lone forward should run wide.</summary>
    public bool NextIsWide()
    {
        lock (_lock)
        {
            if (!_wide.Known) return true;        // measure each path first
            if (!_narrow.Known) return false;
            var preferWide = WideFaster;
            return ++_lone % ExploreEvery >= ExploreEvery - ExploreRun ? !preferWide : preferWide;
        }
    }

    /// <summary>Notes a forward that ran on the wide or a narrow path, <paramref name="ms"/> for <paramref name="tokens"/> prompt tokens.
    /// Its time counts when it <paramref name="ranAlone"/> (no other answer, forward or load began while it ran) and the forward before
    /// it ran on the same path; every forward, counted or not, is the "forward before" of the next.</summary>
    /// <returns>True when this settled or changed which path is preferred (worth a log line).</returns>
    public bool Record(bool wide, double ms, int tokens, bool ranAlone = true)
    {
        lock (_lock)
        {
            var switched = _lastWide != wide;
            _lastWide = wide;
            if (switched || !ranAlone) return false;
            var knew = _wide.Known && _narrow.Known;
            var before = knew && WideFaster;
            (wide ? _wide : _narrow).Add(ms / Math.Max(1, tokens));
            return _wide.Known && _narrow.Known && (!knew || WideFaster != before);
        }
    }

    /// <summary>Each path's median in ms per prompt token over its last <see cref="Window"/> times (NaN until measured).</summary>
    public (double Wide, double Narrow) MsPerToken
    {
        get { lock (_lock) return (_wide.Median, _narrow.Median); }
    }

    /// <summary>Whether lone forwards go wide, tries of the other path aside.</summary>
    public bool PrefersWide
    {
        get { lock (_lock) return WideFaster; }
    }

    bool WideFaster => _wide.Median <= _narrow.Median;

    sealed class Timing
    {
        readonly Queue<double> _latest = new();

        public double Median { get; private set; } = double.NaN;
        public bool Known => _latest.Count > 0;

        public void Add(double msPerToken)
        {
            _latest.Enqueue(msPerToken);
            if (_latest.Count > Window) _latest.Dequeue();
            var sorted = _latest.Order().ToArray();
            Median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }
}
