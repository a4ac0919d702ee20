namespace Pastanoodles.Tests.Processes;

/// <summary>What <c>/proc</c> says about processes: a silo's training workers, whether a process still runs, signals.</summary>
public static class ProcessTable
{
    /// <summary>The live child processes of <paramref name="parent"/> (a silo's training workers).</summary>
    public static List<int> ChildrenOf(int parent) =>
        [.. Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == parent && Runs(pid))];

    /// <summary>True while <paramref name="pid"/> exists and is not a zombie (dead, waiting to be reaped).</summary>
    public static bool Runs(int pid)
    {
        try { return Stat(pid)[0] != "Z"; }
        catch (IOException) { return false; }
    }

    public static int ParentOf(int pid)
    {
        try { return int.Parse(Stat(pid)[1]); }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException) { return 0; }
    }

    /// <summary>User + system CPU seconds of <paramref name="pid"/> and all its descendants so far, whole seconds; 0 for a process gone.</summary>
    public static long CpuSecondsOfTree(int pid)
    {
        try
        {
            var fields = Stat(pid);   // utime and stime are fields 12 and 13 after the name
            var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
            return ticks / 100 + ChildrenOf(pid).Sum(CpuSecondsOfTree);   // USER_HZ is 100 on Linux
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException) { return 0; }
    }

    public static void Signal(int pid, string signal) => System.Diagnostics.Process.Start("kill", [$"-{signal}", $"{pid}"])!.WaitForExit();

    /// <summary>The fields of /proc/PID/stat after the command name: state, ppid, ...</summary>
    static string[] Stat(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }
}
