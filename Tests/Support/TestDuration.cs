using System.Diagnostics;
using Xunit.Abstractions;

namespace Pastanoodles.Tests.Support;

/// <summary>Writes how long a test took, with the machine's load average, to its output when disposed: the figure to read when
/// tests run on a loaded machine (Tests/Processes/under-load.sh). It times; it never asserts.</summary>
public sealed class TestDuration(ITestOutputHelper output) : IDisposable
{
    readonly Stopwatch _watch = Stopwatch.StartNew();

    public TimeSpan Elapsed => _watch.Elapsed;

    /// <summary>This machine's 1-minute load average ("?" where /proc/loadavg is absent).</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    public void Dispose() => output.WriteLine($"test took {_watch.Elapsed.TotalSeconds:0.0} s (load average {LoadAverage()})");
}
