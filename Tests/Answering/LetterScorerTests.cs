using Pastanoodles.Answering;
using Pastanoodles.Modeling.Generation;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Modeling.Tokenization;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Answering;

public sealed class LetterScorerTests : IDisposable
{
    readonly PhiForCausalLM _model = TinyModels.Build(PhiConfig.Tiny, seed: 5);
    readonly PhiTokenizer _tokenizer = PhiTokenizer.BuiltIn();

    public void Dispose() => _model.Dispose();

    double[] AllLetterScores(int[] prompt, string letters) =>
        ContinuationScorer.Score(_model, prompt, letters.Select(l => _tokenizer.Encode($" {l}")).ToList());

    [Fact]
    public void The_choice_is_the_argmax_of_the_letter_log_likelihoods()
    {
        var prompt = _tokenizer.Encode(RagPrompt.Render("Heaps are trees.", "What is a heap? A. a tree B. a list C. a wave D. a field"));
        var choice = LetterScorer.Choose(_model, _tokenizer, prompt, ['A', 'B', 'C', 'D']);
        var expected = AllLetterScores(prompt, "ABCD");
        Assert.Equal("ABCD"[Array.IndexOf(expected, expected.Max())], choice.Letter);
        Assert.Equal(expected, "ABCD".Select(l => choice.LogLikelihoods[l]));
    }

    [Fact]
    public void A_letter_that_is_not_an_option_is_never_chosen_even_when_it_scores_highest()
    {
        // Find a prompt on which D beats A, B and C, then ask a question whose options are A to C only.
        int[]? prompt = null;
        for (var i = 0; i < 64 && prompt is null; i++)
        {
            var candidate = _tokenizer.Encode(RagPrompt.Render($"Chunk {i} about energy.", $"Question {i}? A. x B. y C. z"));
            var scores = AllLetterScores(candidate, "ABCD");
            if (scores[3] > scores[..3].Max())
                prompt = candidate;
        }
        Assert.NotNull(prompt);
        var choice = LetterScorer.Choose(_model, _tokenizer, prompt, ['A', 'B', 'C']);
        var own = AllLetterScores(prompt, "ABC");
        Assert.Equal("ABC"[Array.IndexOf(own, own.Max())], choice.Letter);
        Assert.DoesNotContain('D', choice.LogLikelihoods.Keys);
    }
}
