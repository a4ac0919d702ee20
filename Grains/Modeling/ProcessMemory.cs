namespace Pastanoodles.Modeling;

/// <summary>A process's memory as Linux reports it in <c>/proc/PID/status</c>, in bytes: what the worker supervisor enforces a training
/// budget on, and what the benchmarks print.</summary>
public static class ProcessMemory
{
    /// <summary>Resident memory now (VmRSS) of <paramref name="pid"/>, or of this process; null when it cannot be read (gone, or not Linux).</summary>
    public static long? Resident(int? pid = null) => Field(pid, "VmRSS");

    /// <summary>The resident peak (VmHWM) of <paramref name="pid"/>, or of this process, since it started or its peak was reset.</summary>
    public static long? Peak(int? pid = null) => Field(pid, "VmHWM");

    // "VmHWM:\t 3791692 kB", but "VmHWM:\t13893844 kB" from 10 GB on: the number is padded to 8 columns after a tab.
    static long? Field(int? pid, string name)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{(pid is { } id ? id.ToString(System.Globalization.CultureInfo.InvariantCulture) : "self")}/status"))
                if (line.StartsWith(name + ":", StringComparison.Ordinal))
                    return long.Parse(line[(name.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
