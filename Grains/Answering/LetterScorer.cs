using Pastanoodles.Modeling.Generation;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Modeling.Tokenization;
using Pastanoodles.Training.Data;

namespace Pastanoodles.Answering;

/// <summary>The letter chosen and the log-likelihood of every option letter after the prompt.</summary>
public sealed record LetterChoice(char Letter, IReadOnlyDictionary<char, double> LogLikelihoods);

/// <summary>Picks the option letter with the highest log-likelihood among the question's own letters, the MMLU way (ml.md §7).</summary>
/// <remarks>
/// Each continuation is " A", " B", ... (<see cref="McqaPrompt.Continuation"/>), one token each in Phi-2's BPE, so
/// <see cref="ContinuationScorer"/> reads them all from one forward of the prompt at its last position. Letters that
/// are not options are never scored, so they can never be chosen. Ties go to the earlier letter.
/// </remarks>
public static class LetterScorer
{
    public static LetterChoice Choose(PhiForCausalLM model, PhiTokenizer tokenizer, int[] prompt, IReadOnlyList<char> letters)
    {
        if (letters.Count == 0)
            throw new ArgumentException("There are no option letters to choose from.", nameof(letters));
        var candidates = letters.Select(letter =>
        {
            var ids = tokenizer.Encode(McqaPrompt.Continuation(letter - 'A'));
            return ids.Length == 1 ? ids : throw new InvalidDataException(
                $"The continuation ' {letter}' is {ids.Length} tokens in {tokenizer.Origin}; one-letter scoring needs one.");
        }).ToList();
        var scores = ContinuationScorer.Score(model, prompt, candidates);
        var best = ContinuationScorer.Best(scores);
        return new LetterChoice(letters[best], letters.Zip(scores).ToDictionary(p => p.First, p => p.Second));
    }
}
