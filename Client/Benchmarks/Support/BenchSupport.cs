using Pastanoodles.Training;

namespace Pastanoodles.Client.Benchmarks.Support;

/// <summary>A temporary folder for a benchmark's outputs, removed afterwards.</summary>
public sealed class ScratchDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("pastanoodles-bench-").FullName;
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

/// <summary>Collects the trainer's metric records on the reporting thread.</summary>
public sealed class Collect(List<MetricRecord> records) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) { if (value.Record is { } r) records.Add(r); }
}

/// <summary>Peak resident memory of this process (Linux VmHWM), resettable between cases via /proc/self/clear_refs.</summary>
public static class PeakMemory
{
    /// <summary>Collects, hands freed heap back to the OS (glibc malloc_trim) and restarts the peak at the current RSS, so a case
    /// is not charged for what an earlier one freed but the allocator kept.</summary>
    public static void Reset()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Pastanoodles.Modeling.NativeHeap.Trim();
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The peak since the last <see cref="Reset"/>, bytes; -1 where there is no /proc.</summary>
    public static long Read() => Pastanoodles.Modeling.ProcessMemory.Peak() ?? -1;

    /// <summary>Resident memory now, bytes; -1 where there is no /proc.</summary>
    public static long Resident() => Pastanoodles.Modeling.ProcessMemory.Resident() ?? -1;
}
