using Pastanoodles.Answering;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Answering;

/// <summary>Answers on one shared tiny base (NF4) with adapters chosen per answer, against each adapter's answers computed alone.</summary>
public sealed class SharedAdapterAnswerTests : IDisposable
{
    static readonly string[] Questions =
    [
        "Which is a prime number? A. 4 B. 6 C. 7 D. 9",
        "What does a hash table map? A. keys to values B. values to threads C. pages to disks",
        "Which sort is stable? A. merge sort B. heap sort C. quicksort D. selection sort",
        "What is 2+2? A. 3 B. 4 C. 5 D. 6",
    ];

    readonly TempDir _dir = new();
    readonly string _a, _b;

    public SharedAdapterAnswerTests()
    {
        _a = AdapterFolders.Write(_dir["a"], PhiConfig.Tiny, AdapterFolders.Dora, seed: 201);
        _b = AdapterFolders.Write(_dir["b"], PhiConfig.Tiny, AdapterFolders.Lora with { R = 8 }, seed: 202);
    }

    public void Dispose() => _dir.Dispose();

    static RagAnswer Ask(LoadedModel model, string? adapter, string question) =>
        AnswerPipeline.Answer(model, adapter, McqaQuestion.Parse(question), [], 0);

    /// <summary>Each adapter's option scores, computed alone: one model per adapter (a base copy each, as silos did before), one question at a time.</summary>
    Dictionary<(string?, string), IReadOnlyDictionary<char, double>> Alone()
    {
        var expected = new Dictionary<(string?, string), IReadOnlyDictionary<char, double>>();
        foreach (var adapter in new[] { null, _a, _b })
        {
            using var model = LoadedModel.Load("tiny", adapter);
            foreach (var q in Questions)
                expected[(adapter, q)] = Ask(model, adapter, q).LogLikelihoods;
        }
        return expected;
    }

    [Fact]
    public async Task Answers_with_adapters_A_and_B_interleaved_from_many_threads_equal_each_adapters_answers_alone()
    {
        var expected = Alone();
        // The adapters move the scores, so a mixed-up adapter would show.
        foreach (var q in Questions)
        {
            Assert.NotEqual(expected[(null, q)]['A'], expected[(_a, q)]['A']);
            Assert.NotEqual(expected[(_a, q)]['A'], expected[(_b, q)]['A']);
        }

        using var shared = LoadedModel.Load("tiny");
        const int Threads = 8, PerThread = 12;
        using var start = new Barrier(Threads);
        var runs = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            Assert.True(start.SignalAndWait(TimeSpan.FromMinutes(5)), $"{Threads} threads did not all start within 5 minutes");
            return Enumerable.Range(0, PerThread).Select(i =>
            {
                var adapter = ((t + i) % 3) switch { 0 => _a, 1 => _b, _ => null };
                var question = Questions[(t * 5 + i) % Questions.Length];
                return (adapter, question, Ask(shared, adapter, question));
            }).ToList();
        }, TaskCreationOptions.LongRunning)).ToArray();
        var answers = (await Task.WhenAll(runs)).SelectMany(r => r).ToList();

        Assert.Equal(Threads * PerThread, answers.Count);
        foreach (var (adapter, question, answer) in answers)
        {
            var alone = expected[(adapter, question)];
            foreach (var (letter, score) in alone)
                Assert.True(score == answer.LogLikelihoods[letter],
                    $"adapter {adapter ?? "none"}, '{question}', {letter}: {answer.LogLikelihoods[letter]} interleaved, {score} alone");
        }
        Assert.Equal(1, shared.Adapters.LoadsOf(_a));
        Assert.Equal(1, shared.Adapters.LoadsOf(_b));
    }

    [Fact]
    public void The_adapter_given_at_load_answers_when_no_call_names_one_and_others_attach_beside_it()
    {
        using var model = LoadedModel.Load("tiny", _a);
        using var bare = LoadedModel.Load("tiny");
        var q = Questions[0];
        Assert.Equal(Ask(bare, _a, q).LogLikelihoods, Ask(model, _a, q).LogLikelihoods);
        Assert.Equal(Ask(bare, _b, q).LogLikelihoods, Ask(model, _b, q).LogLikelihoods);
        Assert.Equal(Ask(bare, null, q).LogLikelihoods, Ask(model, null, q).LogLikelihoods);
        var prompt = model.Tokenizer.Encode(q);
        // Scoring on the model directly, with no scope, uses the adapter given at load.
        Assert.Equal(UseThen(bare, _a, () => LetterScorer.Choose(bare.Model, bare.Tokenizer, prompt, ['A', 'B']).LogLikelihoods),
            LetterScorer.Choose(model.Model, model.Tokenizer, prompt, ['A', 'B']).LogLikelihoods);
        Assert.Equal(0, model.Adapters.LoadsOf(_a));             // the given adapter is not loaded a second time
        Assert.EndsWith($" + adapter {Path.GetFullPath(_a)}", model.Description);
        Assert.Equal("tiny (nf4, cpu)", bare.Description);
    }

    static T UseThen<T>(LoadedModel model, string adapter, Func<T> work)
    {
        using var _ = model.Use(adapter);
        return work();
    }
}
