using System.Diagnostics;
using Pastanoodles.Modeling;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Modeling;

/// <summary><see cref="ProcessMemory"/> against what a real process holds: a child that fills 256 MB, this process, and a process that is gone.</summary>
public sealed class ProcessMemoryTests
{
    [Fact]
    public async Task A_process_that_fills_256_MB_reads_as_256_MB_resident_and_its_peak_holds_it()
    {
        // The test host runs other tests in parallel, so its own RSS moves; a child's is its own.
        using var child = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", "import sys, time; b = b'\\x01' * (256 << 20); print('full', flush=True); time.sleep(60)"])
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("full", await child.StandardOutput.ReadLineAsync().Within("python fills 256 MB"));

            var resident = ProcessMemory.Resident(child.Id)!.Value;
            Assert.InRange(resident, 256L << 20, 320L << 20);   // the bytes, plus the interpreter
            Assert.InRange(ProcessMemory.Peak(child.Id)!.Value, resident, 320L << 20);
            Assert.True(ProcessMemory.Resident() > 0 && ProcessMemory.Peak() >= ProcessMemory.Resident(), "this process reads too");
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync();
        }
        Assert.Null(ProcessMemory.Resident(child.Id));   // gone (and reaped)
    }
}
