using Pastanoodles.Tests.Support;
using Pastanoodles.Training;

namespace Pastanoodles.Tests.Training;

/// <summary>The input-path policy alone: what lies under the roots after links are resolved is accepted (as its resolved path),
/// anything else gets one message that does not depend on whether the file exists.</summary>
public sealed class InputRootsTests : IDisposable
{
    readonly TempDir _root = new(), _outside = new();
    readonly InputRoots _roots;

    public InputRootsTests()
    {
        _roots = new InputRoots([_root.Path]);
        File.WriteAllText(_root["train.jsonl"], "{}\n");
        File.WriteAllText(_outside["secret.jsonl"], "SECRET-CONTENT\n");
        Directory.CreateDirectory(_root["sub"]);
    }

    public void Dispose()
    {
        _root.Dispose();
        _outside.Dispose();
    }

    string Refusal(string path) =>
        Assert.Throws<InvalidDataException>(() => _roots.Confine(path, "train_file", "experiment 'x'")).Message;

    string Expected(string path) =>
        $"experiment 'x': train_file '{path}' is not under the folders this silo reads (Silo:InputRoots: {_root.Path}). " +
        "Put the file in the shared data or artifacts folder and name it there.";

    [Fact]
    public void Paths_out_of_the_roots_get_the_same_message_whether_or_not_they_exist()
    {
        File.CreateSymbolicLink(_root["leak.jsonl"], _outside["secret.jsonl"]);
        File.CreateSymbolicLink(_root["ghost.jsonl"], _outside["no-such.jsonl"]);
        Directory.CreateSymbolicLink(_root["linked-dir"], _outside.Path);
        var cases = new[]
        {
            ("/etc/passwd", "/etc/no-such-file"),
            (_outside["secret.jsonl"], _outside["no-such.jsonl"]),
            (_root["leak.jsonl"], _root["ghost.jsonl"]),                               // a symlink out of the roots
            (_root["linked-dir/secret.jsonl"], _root["linked-dir/no-such.jsonl"]),     // through a linked folder
            (_root["sub/../../" + Path.GetFileName(_outside.Path) + "/secret.jsonl"],  // ../ out of the roots
             _root["sub/../../" + Path.GetFileName(_outside.Path) + "/no-such.jsonl"]),
            (_root["linked-dir/../" + Path.GetFileName(_outside.Path) + "/secret.jsonl"],  // .. after a link goes up from its target
             _root["linked-dir/../" + Path.GetFileName(_outside.Path) + "/no-such.jsonl"]),
            ("train.jsonl", "no-such.jsonl"),                                          // relative: never resolved against the silo's folder
        };
        foreach (var (exists, missing) in cases)
        {
            Assert.Equal(Expected(exists), Refusal(exists));
            Assert.Equal(Expected(missing), Refusal(missing));
            Assert.DoesNotContain("SECRET", Refusal(exists));
        }
    }

    [Fact]
    public void Paths_under_the_roots_are_accepted_as_their_resolved_form()
    {
        File.CreateSymbolicLink(_root["sub/alias.jsonl"], _root["train.jsonl"]);

        Assert.Equal(_root["train.jsonl"], _roots.Confine(_root["train.jsonl"], "train_file", "x"));
        Assert.Equal(_root["train.jsonl"], _roots.Confine(_root["sub/../train.jsonl"], "train_file", "x"));
        Assert.Equal(_root["train.jsonl"], _roots.Confine(_root["sub/alias.jsonl"], "train_file", "x"));
        Assert.Equal(_root["sub/later.jsonl"], _roots.Confine(_root["sub/later.jsonl"], "train_file", "x"));   // inside, not yet there
    }

    [Fact]
    public void A_config_has_every_input_key_confined_and_built_in_models_are_not_paths()
    {
        var config = new TrainingConfig { Model = "tiny", TrainFile = _root["train.jsonl"], OutputDir = "/anywhere" };
        Assert.Same(config, _roots.Confine(config, "x"));   // nothing to change: the config is kept as sent

        foreach (var key in TrainingConfig.InputPathKeys)
        {
            var bad = TrainingConfig.Parse($$"""{"synthetic_rows": 1, "{{key}}":"/etc/passwd"}""", "x");
            var error = Assert.Throws<InvalidDataException>(() => _roots.Confine(bad, "experiment 'x'")).Message;
            Assert.StartsWith($"experiment 'x': {key} '/etc/passwd' is not under the folders this silo reads", error);
        }
    }
}
