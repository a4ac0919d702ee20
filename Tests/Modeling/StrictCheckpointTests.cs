using Pastanoodles.Modeling.Checkpoints;

namespace Pastanoodles.Tests.Modeling;

/// <summary>The one strict check every checkpoint folder goes through (Phi, BERT, PEFT adapters): one report shape.</summary>
public class StrictCheckpointTests
{
    static readonly Dictionary<string, long[]> Expected = new()
    {
        ["a.weight"] = [4, 2], ["a.bias"] = [4], ["b.weight"] = [2, 2], ["c.weight"] = [3], ["d.weight"] = [5],
    };

    static CheckpointTensor T(string file, string key, params long[] shape) => new(file, key, new SafeTensorEntry(key, "F32", shape, 0, 0));

    static IEnumerable<CheckpointTensor> All(string file = "m.safetensors") => Expected.Select(e => T(file, e.Key, e.Value));

    [Fact]
    public void Every_key_with_its_shape_matches_and_a_skipped_key_is_ignored()
    {
        var located = StrictCheckpoint.Match("folder", All().Append(T("m.safetensors", "pooler.x", 9)), Expected, "hint",
            key => key.StartsWith("pooler.") ? null : key);
        Assert.Equal(Expected.Keys.Order(), located.Keys.Order());
    }

    [Fact]
    public void A_key_in_two_shards_is_a_duplicate_not_a_silent_win()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            StrictCheckpoint.Match("folder", All("one.safetensors").Append(T("two.safetensors", "b.weight", 2, 2)), Expected, "hint"));
        Assert.Equal("two.safetensors has tensor 'b.weight' and one.safetensors has 'b.weight', which both load into 'b.weight' (duplicate key). " +
                     "---> HINT: keep one of them; a checkpoint holds each tensor once.", ex.Message);
    }

    [Fact]
    public void Two_file_keys_mapping_to_one_model_key_are_a_duplicate()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            StrictCheckpoint.Match("f", All().Append(T("m.safetensors", "bert.a.bias", 4)), Expected, "hint", key => key.Replace("bert.", "")));
        Assert.StartsWith("m.safetensors has tensor 'bert.a.bias' and m.safetensors has 'a.bias', which both load into 'a.bias'", ex.Message);
    }

    [Fact]
    public void Missing_keys_are_counted_and_the_first_three_named_with_their_shapes()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            StrictCheckpoint.Match("folder", All().Where(t => t.FileKey == "a.weight"), Expected, "hint"));
        Assert.Equal("folder is missing 4 tensors: 'a.bias' of shape [4], 'b.weight' of shape [2, 2], 'c.weight' of shape [3] and 1 more.", ex.Message);
    }

    [Fact]
    public void Unexpected_and_misshaped_keys_name_the_file_the_key_and_both_shapes()
    {
        var unexpected = Assert.Throws<InvalidDataException>(() => StrictCheckpoint.Match("f", All().Append(T("m.safetensors", "e.weight", 1)), Expected, "is it the right model?"));
        Assert.Equal("m.safetensors has tensor 'e.weight', which the model does not have (unexpected key). ---> HINT: is it the right model?", unexpected.Message);
        var misshaped = Assert.Throws<InvalidDataException>(() =>
            StrictCheckpoint.Match("f", All().Select(t => t.FileKey == "a.weight" ? T(t.File, t.FileKey, 4, 3) : t), Expected, "hint"));
        Assert.Equal("m.safetensors: tensor 'a.weight' should be of size [4, 2], but is [4, 3].", misshaped.Message);
    }
}
