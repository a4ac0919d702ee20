using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace Pastanoodles.Cluster;

/// <summary>Grain state as one JSON file per grain on local disk, so a one-machine silo keeps its state across restarts.</summary>
/// <remarks>
/// Orleans ships no file provider. Layout: <c>{Directory}/{stateName}/{grainType}/{key}.json</c>, holding
/// <c>{"etag": ..., "grainId": ..., "state": ...}</c> (System.Text.Json, enums as names, NaN allowed). A write replaces the file
/// atomically (temp file, flush to disk, rename) after checking the caller's ETag against the stored one, under an exclusive
/// lock on a sibling <c>.lock</c> file, so silo processes that share the folder cannot lose each other's writes.
/// This is not the cluster-mode store: silos on different machines use a shared database (Redis) instead.
/// </remarks>
public sealed class FileGrainStorage(string name, FileGrainStorageOptions options, ILogger<FileGrainStorage> logger) : IGrainStorage
{
    static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public string Name { get; } = name;

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        if (!File.Exists(path))
        {
            (grainState.ETag, grainState.RecordExists) = (null, false);
            grainState.State ??= Activator.CreateInstance<T>();
            return;
        }
        var envelope = await ReadAsync<T>(path);
        grainState.State = envelope.State ?? Activator.CreateInstance<T>();
        (grainState.ETag, grainState.RecordExists) = (envelope.ETag, true);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var etag = Guid.NewGuid().ToString("N");
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new Envelope<T>(etag, grainId.ToString(), grainState.State), Json);
        using (await FileLock.AcquireAsync(path + ".lock"))
        {
            await CheckETagAsync<T>(path, grainState.ETag, stateName, grainId);
            var temp = $"{path}.{etag}.tmp";
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                await stream.WriteAsync(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        (grainState.ETag, grainState.RecordExists) = (etag, true);
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        using (await FileLock.AcquireAsync(path + ".lock"))
        {
            await CheckETagAsync<T>(path, grainState.ETag, stateName, grainId);
            File.Delete(path);
        }
        (grainState.ETag, grainState.RecordExists) = (null, false);
    }

    /// <summary>The file that holds <paramref name="grainId"/>'s state <paramref name="stateName"/>.</summary>
    public string PathOf(string stateName, GrainId grainId)
    {
        var directory = Path.Combine(options.Directory, SafeName(stateName), SafeName(grainId.Type.ToString()!));
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, SafeName(grainId.Key.ToString()!) + ".json");
    }

    async Task CheckETagAsync<T>(string path, string? expected, string stateName, GrainId grainId)
    {
        var stored = File.Exists(path) ? (await ReadAsync<T>(path)).ETag : null;
        if (stored != expected)
        {
            logger.LogWarning("ETag mismatch on {Path}: stored {Stored}, caller has {Expected}", path, stored, expected);
            throw new InconsistentStateException(
                $"State '{stateName}' of grain {grainId} in storage '{Name}' was changed by someone else: the file {path} has ETag " +
                $"'{stored ?? "(none)"}', the grain read '{expected ?? "(none)"}'. Another activation of the grain, or another silo sharing " +
                "the data directory, wrote it. Re-read the state (re-activate the grain) and try again.",
                stored, expected);
        }
    }

    static async Task<Envelope<T>> ReadAsync<T>(string path)
    {
        await using var stream = File.OpenRead(path);
        try
        {
            return await JsonSerializer.DeserializeAsync<Envelope<T>>(stream, Json)
                ?? throw new InvalidDataException($"Grain state file {path} holds null. Delete it to reset that grain.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Grain state file {path} is not valid state JSON for {typeof(T).Name}: {ex.Message} Delete it to reset that grain.", ex);
        }
    }

    /// <summary>Keeps letters, digits, '-' and '_'; writes every other byte as %XX, so no key can climb out of its folder.
    /// Names longer than 120 characters are cut and suffixed with a hash of the whole.</summary>
    internal static string SafeName(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_')
                builder.Append((char)b);
            else
                builder.Append('%').Append(b.ToString("X2"));
        }
        if (builder.Length == 0)
            return "%";
        if (builder.Length <= 120)
            return builder.ToString();
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..16];
        return $"{builder.ToString(0, 100)}~{hash}";
    }

    sealed record Envelope<T>(
        [property: JsonPropertyName("etag")] string ETag,
        [property: JsonPropertyName("grainId")] string GrainId,
        [property: JsonPropertyName("state")] T? State);

    /// <summary>An exclusive lock on a file, across threads and processes (.NET takes <c>flock</c> for <see cref="FileShare.None"/> on Unix).</summary>
    static class FileLock
    {
        public static async Task<IDisposable> AcquireAsync(string path)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                try
                {
                    return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(5);
                }
            }
        }
    }
}

/// <summary>Where <see cref="FileGrainStorage"/> keeps its files.</summary>
public sealed class FileGrainStorageOptions
{
    /// <summary>The root folder of the state files. Default: <c>~/.local/share/pastanoodles/state</c>.</summary>
    public string Directory { get; set; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "pastanoodles", "state");
}

/// <summary>Registers <see cref="FileGrainStorage"/> under a storage name.</summary>
public static class FileGrainStorageServiceCollectionExtensions
{
    public static IServiceCollection AddFileGrainStorage(this IServiceCollection services, string name, Action<FileGrainStorageOptions> configure)
    {
        services.AddOptions<FileGrainStorageOptions>(name).Configure(configure);
        return services.AddGrainStorage(name, (provider, storageName) => new FileGrainStorage(
            storageName,
            provider.GetRequiredService<IOptionsMonitor<FileGrainStorageOptions>>().Get(storageName),
            provider.GetRequiredService<ILogger<FileGrainStorage>>()));
    }
}
