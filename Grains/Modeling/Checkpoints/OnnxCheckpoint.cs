// The weights of an ONNX model exported from PyTorch, read straight from the protobuf wire format (onnx.proto:
// ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.input = 1, output = 2, op_type = 4;
// TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9). torch.onnx.export keeps a parameter's
// name when it feeds an op as it is, but a Linear weight is exported pre-transposed, [in, out], as an anonymous
// initializer (a number) feeding a MatMul; the Add that takes the MatMul's product has `<module>.bias` as its other
// input, which names it `<module>.weight` (transposed back to [out, in]).
using System.Buffers.Binary;
using System.Text;

namespace Pastanoodles.Modeling.Checkpoints;

/// <summary>The float initializers of an ONNX model, under PyTorch parameter names; see the file comment for the MatMul weights.</summary>
public static class OnnxCheckpoint
{
    const int FloatType = 1;

    sealed record Node(string Op, List<string> Inputs, List<string> Outputs);

    /// <summary>Every float tensor of <paramref name="onnx"/> by PyTorch name, as (shape, row-major values).</summary>
    /// <param name="origin">Names the model in errors.</param>
    public static Dictionary<string, (long[] Shape, float[] Data)> ReadWeights(byte[] onnx, string origin)
    {
        var initializers = new Dictionary<string, (long[] Shape, float[] Data)>(StringComparer.Ordinal);
        var nodes = new List<Node>();
        try
        {
            var graph = Field(onnx, 7) ?? throw new InvalidDataException($"{origin} is not an ONNX model: it has no graph (ModelProto field 7).");
            foreach (var (number, value) in LengthDelimited(onnx.AsMemory(graph.Start, graph.Length)))
                if (number == 1)
                    nodes.Add(ReadNode(value.Span));
                else if (number == 5 && ReadTensor(value.Span, origin) is { } tensor)
                    initializers[tensor.Name] = (tensor.Shape, tensor.Data);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException($"{origin} is not a valid ONNX model: the protobuf ends early or a length is wrong.", e);
        }

        var weights = new Dictionary<string, (long[] Shape, float[] Data)>(StringComparer.Ordinal);
        var consumers = nodes.SelectMany(n => n.Inputs.Select(i => (Input: i, Node: n))).ToLookup(p => p.Input, p => p.Node);
        foreach (var (name, tensor) in initializers)
        {
            if (!char.IsAsciiDigit(name[0]))
            {
                weights[name] = tensor;
                continue;
            }
            var matmul = consumers[name].FirstOrDefault(n => n.Op == "MatMul");
            if (matmul is null || tensor.Shape.Length != 2)
                continue;   // the exporter's other anonymous constants (shapes, indices)
            var bias = consumers[matmul.Outputs[0]].Where(n => n.Op == "Add")
                .SelectMany(a => a.Inputs).FirstOrDefault(i => i.EndsWith(".bias", StringComparison.Ordinal))
                ?? throw new InvalidDataException($"{origin}: MatMul weight '{name}' is not followed by an Add of a '<module>.bias', so it cannot be named.");
            var key = bias[..^".bias".Length] + ".weight";
            weights[key] = ([tensor.Shape[1], tensor.Shape[0]], Transpose(tensor.Data, (int)tensor.Shape[0], (int)tensor.Shape[1]));
        }
        return weights;
    }

    static float[] Transpose(float[] data, int rows, int cols)
    {
        var result = new float[data.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++)
                result[c * rows + r] = data[r * cols + c];
        return result;
    }

    static Node ReadNode(ReadOnlySpan<byte> bytes)
    {
        var node = new Node("", [], []);
        var op = "";
        var reader = new WireReader(bytes);
        while (reader.Next(out var number, out var wire))
        {
            if (wire != 2) { reader.Skip(wire); continue; }
            var text = Encoding.UTF8.GetString(reader.Bytes());
            if (number == 1) node.Inputs.Add(text);
            else if (number == 2) node.Outputs.Add(text);
            else if (number == 4) op = text;
        }
        return node with { Op = op };
    }

    static (string Name, long[] Shape, float[] Data)? ReadTensor(ReadOnlySpan<byte> bytes, string origin)
    {
        var (name, type, shape) = ("", 0L, new List<long>());
        float[]? data = null;
        var reader = new WireReader(bytes);
        while (reader.Next(out var number, out var wire))
        {
            switch (number, wire)
            {
                case (1, 0): shape.Add((long)reader.Varint()); break;
                case (1, 2):
                    var packed = new WireReader(reader.Bytes());
                    while (!packed.AtEnd) shape.Add((long)packed.Varint());
                    break;
                case (2, 0): type = (long)reader.Varint(); break;
                case (8, 2): name = Encoding.UTF8.GetString(reader.Bytes()); break;
                case (9, 2) or (4, 2):
                    var raw = reader.Bytes();
                    data = new float[raw.Length / 4];
                    for (var i = 0; i < data.Length; i++)
                        data[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                    break;
                default: reader.Skip(wire); break;
            }
        }
        if (type != FloatType || data is null)
            return null;
        if (data.Length != shape.Aggregate(1L, (a, b) => a * b))
            throw new InvalidDataException($"{origin}: initializer '{name}' has {data.Length} values for shape [{string.Join(", ", shape)}].");
        return (name, [.. shape], data);
    }

    static (int Start, int Length)? Field(byte[] message, int wanted)
    {
        var reader = new WireReader(message);
        while (reader.Next(out var number, out var wire))
        {
            if (number == wanted && wire == 2)
            {
                var length = (int)reader.Varint();
                var start = reader.Position;
                return (start, length);
            }
            reader.Skip(wire);
        }
        return null;
    }

    static IEnumerable<(int Number, ReadOnlyMemory<byte> Value)> LengthDelimited(ReadOnlyMemory<byte> message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var reader = new WireReader(message.Span[position..]);
            reader.Next(out var number, out var wire);
            if (wire == 2)
            {
                var length = (int)reader.Varint();
                var start = position + reader.Position;
                yield return (number, message.Slice(start, length));
                position = start + length;
            }
            else
            {
                reader.Skip(wire);
                position += reader.Position;
            }
        }
    }

    /// <summary>Protobuf wire format: varints, 64- and 32-bit fixed fields, length-delimited bytes.</summary>
    ref struct WireReader(ReadOnlySpan<byte> bytes)
    {
        readonly ReadOnlySpan<byte> _bytes = bytes;
        public int Position { get; private set; }
        public readonly bool AtEnd => Position >= _bytes.Length;

        public bool Next(out int number, out int wire)
        {
            (number, wire) = (0, 0);
            if (AtEnd) return false;
            var key = Varint();
            (number, wire) = ((int)(key >> 3), (int)(key & 7));
            return true;
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = _bytes[Position++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return result;
            }
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = (int)Varint();
            var span = _bytes.Slice(Position, length);
            Position += length;
            return span;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Position += 8; break;
                case 2: Bytes(); break;
                case 5: Position += 4; break;
                default: throw new InvalidDataException($"protobuf wire type {wire} is not supported.");
            }
        }
    }
}
