using Pastanoodles.Modeling.Bert;
using Pastanoodles.Modeling.Checkpoints;

namespace Pastanoodles.Tests.Support;

/// <summary>A tiny BERT sentence-encoder folder the tests write themselves: random weights, a small WordPiece vocab.txt.</summary>
public static class TinyBert
{
    /// <summary>[PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4 (bert-base-uncased's order is different; ids only need to agree with the file).</summary>
    public static readonly string[] Vocabulary =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "the", "a", "of", "is", ".", ",", "?", "mat", "##ric", "##es", "##rix", "invert", "##ed", "##ing",
        "eigen", "##value", "##s", "vector", "space", "energy", "force", "mass", "light", "speed", "wave",
        "graph", "node", "edge", "tree", "sort", "list", "heap", "quantum", "field", "time", "which", "what",
    ];

    /// <summary>2 layers, hidden 32, 4 heads; max_position_embeddings 300 so the default 256-token truncation applies.</summary>
    public static BertConfig Config { get; } = new()
    {
        VocabSize = Vocabulary.Length,
        HiddenSize = 32,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        IntermediateSize = 64,
        MaxPositionEmbeddings = 300,
    };

    public static BertModel Build(long seed = 3)
    {
        var model = new BertModel(Config).InitializeWeights(seed);
        model.eval();
        return model;
    }

    /// <summary>Writes config.json, model.safetensors and vocab.txt into <paramref name="folder"/>.</summary>
    public static string Write(string folder, long seed = 3, bool prefixed = false)
    {
        using var model = Build(seed);
        BertModelFolder.Save(model, folder, prefixed);
        File.WriteAllLines(Path.Combine(folder, BertModelFolder.VocabFile), Vocabulary);
        return folder;
    }
}
