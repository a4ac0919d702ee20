namespace Pastanoodles.Tests.Support;

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("pastanoodles-").FullName;

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        // A test that failed may still hold a file open; the folder is in temp and harmless.
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
