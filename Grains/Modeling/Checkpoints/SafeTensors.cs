using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Pastanoodles.Modeling.Checkpoints;

/// <summary>One tensor's header entry in a safetensors file.</summary>
public sealed record SafeTensorEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>Reads a safetensors file lazily, one tensor at a time, after checking its header.</summary>
/// <remarks>
/// Format (huggingface/safetensors README, <c>tensor.rs</c>): u64 little-endian header length N, N bytes of UTF-8
/// JSON, then the data buffer. Offsets are relative to the buffer; the buffer must be covered exactly, with no
/// holes or overlaps. Only the file's bytes for the tensor asked for are read, so a 5 GB checkpoint never sits in
/// memory whole.
/// </remarks>
public sealed class SafeTensorsReader : IDisposable
{
    const long MaxHeaderSize = 100_000_000;
    readonly FileStream _stream;
    readonly long _dataStart;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public SafeTensorsReader(string path)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        try
        {
            (Entries, Metadata, _dataStart) = ReadHeader();
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads one tensor into a new CPU tensor of the file's dtype.</summary>
    public Tensor Read(string name)
    {
        if (!Entries.TryGetValue(name, out var entry))
            throw new KeyNotFoundException($"{Path} has no tensor '{name}'.");
        var bytes = new byte[entry.End - entry.Begin];
        _stream.Seek(_dataStart + entry.Begin, SeekOrigin.Begin);
        _stream.ReadExactly(bytes);
        var result = empty(entry.Shape, SafeTensorDTypes.ToScalarType(entry.DType, Path, name));
        if (bytes.Length > 0)
            result.bytes = bytes;
        return result;
    }

    public void Dispose() => _stream.Dispose();

    (Dictionary<string, SafeTensorEntry>, Dictionary<string, string>, long) ReadHeader()
    {
        long fileLength = _stream.Length;
        if (fileLength < 8)
            throw Invalid($"is {fileLength} bytes long; a safetensors file starts with an 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        _stream.ReadExactly(lengthBytes);
        long headerLength = BitConverter.ToInt64(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderSize || 8 + headerLength > fileLength)
            throw Invalid($"declares a header of {headerLength} bytes in a file of {fileLength} bytes");
        var headerBytes = new byte[headerLength];
        _stream.ReadExactly(headerBytes);

        JsonObject header;
        try
        {
            header = JsonNode.Parse(Encoding.UTF8.GetString(headerBytes).TrimEnd(' ')) as JsonObject
                ?? throw Invalid("has a header that is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Invalid($"has a header that is not valid JSON ({e.Message})");
        }

        var entries = new Dictionary<string, SafeTensorEntry>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (key, value) in node!.AsObject())
                    metadata[key] = value?.GetValue<string>() ?? "";
                continue;
            }
            var obj = node as JsonObject ?? throw Invalid($"has entry '{name}' that is not an object");
            var dtype = obj["dtype"]?.GetValue<string>() ?? throw Invalid($"has entry '{name}' without dtype");
            var shape = obj["shape"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray() ?? throw Invalid($"has entry '{name}' without shape");
            var offsets = obj["data_offsets"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray() ?? throw Invalid($"has entry '{name}' without data_offsets");
            if (offsets.Length != 2 || offsets[0] > offsets[1])
                throw Invalid($"has entry '{name}' with data_offsets [{string.Join(", ", offsets)}]");
            long expected = shape.Aggregate(1L, (a, b) => a * b) * SafeTensorDTypes.Size(dtype, Path, name);
            if (offsets[1] - offsets[0] != expected)
                throw Invalid($"has entry '{name}' of shape [{string.Join(", ", shape)}] {dtype} that should take {expected} bytes, but its offsets span {offsets[1] - offsets[0]}");
            entries[name] = new SafeTensorEntry(name, dtype, shape, offsets[0], offsets[1]);
        }

        long position = 0;
        foreach (var entry in entries.Values.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != position)
                throw Invalid($"has a hole or overlap at byte {position} of the data buffer (tensor '{entry.Name}' begins at {entry.Begin})");
            position = entry.End;
        }
        long dataStart = 8 + headerLength;
        if (dataStart + position != fileLength)
            throw Invalid($"has {fileLength - dataStart} data bytes but its tensors cover {position}");
        return (entries, metadata, dataStart);
    }

    InvalidDataException Invalid(string what) =>
        new($"{Path} is not a valid safetensors file: it {what}.");
}

/// <summary>Writes safetensors files the way HF's Rust library does: 8-byte aligned, with <c>{"format": "pt"}</c> metadata.</summary>
public static class SafeTensorsWriter
{
    public static void Write(string path, IEnumerable<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors
            .Select(t => (t.Name, Value: t.Value.detach().cpu().contiguous(), DType: SafeTensorDTypes.FromScalarType(t.Value.dtype)))
            .OrderByDescending(t => SafeTensorDTypes.Size(t.DType, path, t.Name))
            .ThenBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
        var duplicate = list.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Tensor name '{duplicate.Key}' appears twice; safetensors names must be unique.", nameof(tensors));

        var header = new JsonObject
        {
            ["__metadata__"] = new JsonObject((metadata ?? new Dictionary<string, string> { ["format"] = "pt" })
                .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
        };
        long offset = 0;
        foreach (var (name, value, dtype) in list)
        {
            long size = value.numel() * value.element_size();
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(value.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + size)),
            };
            offset += size;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - headerBytes.Length % 8) % 8;

        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            stream.Write(BitConverter.GetBytes((long)(headerBytes.Length + padding)));
            stream.Write(headerBytes);
            for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
            foreach (var (_, value, _) in list)
                if (value.numel() > 0)
                    stream.Write(value.bytes);
        }
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>safetensors dtype names and their libtorch types.</summary>
public static class SafeTensorDTypes
{
    static readonly Dictionary<string, (ScalarType Type, int Size)> Known = new()
    {
        ["F64"] = (ScalarType.Float64, 8), ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1),
        ["BOOL"] = (ScalarType.Bool, 1),
    };

    public static ScalarType ToScalarType(string dtype, string file, string tensor) =>
        Known.TryGetValue(dtype, out var t) ? t.Type
            : throw new NotSupportedException($"{file}: tensor '{tensor}' has dtype {dtype}. Supported: {string.Join(", ", Known.Keys)}.");

    public static int Size(string dtype, string file, string tensor) =>
        Known.TryGetValue(dtype, out var t) ? t.Size
            : throw new NotSupportedException($"{file}: tensor '{tensor}' has dtype {dtype}. Supported: {string.Join(", ", Known.Keys)}.");

    public static string FromScalarType(ScalarType type) =>
        Known.FirstOrDefault(kv => kv.Value.Type == type).Key
            ?? throw new NotSupportedException($"dtype {type} cannot be written to safetensors. Supported: {string.Join(", ", Known.Keys)}.");
}
