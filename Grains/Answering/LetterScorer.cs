using Pastanoodles.Modeling.Generation;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Modeling.Tokenization;
using Pastanoodles.Training.Data;
using static TorchSharp.torch;

namespace Pastanoodles.Answering;

/// <summary>The letter chosen and the log-likelihood of every option letter after the prompt.</summary>
public sealed record LetterChoice(char Letter, IReadOnlyDictionary<char, double> LogLikelihoods);

/// <summary>Picks the option letter with the highest log-likelihood among the question's own letters, the MMLU way (ml.md §7):
/// the one home of "a letter is one token" and "score the option letters", for answering and for MCQA training alike.</summary>
/// <remarks>
/// Each continuation is " A", " B", ... (<see cref="McqaPrompt.Continuation"/>), one token each in Phi-2's BPE, so
/// all of them are read from one forward of the prompt at its last position. Letters that are not options are never
/// scored, so they can never be chosen. Ties go to the earlier letter.
/// </remarks>
public static class LetterScorer
{
    /// <summary>The token of each letter's continuation; throws when one is not a single token (one-letter scoring needs one).</summary>
    /// <param name="where">Names the input in the error: a tokenizer, or a data file's row.</param>
    public static int[] Tokens(PhiTokenizer tokenizer, IReadOnlyList<char> letters, string where)
    {
        if (letters.Count == 0)
            throw new ArgumentException("There are no option letters to choose from.", nameof(letters));
        return letters.Select(letter =>
        {
            var continuation = McqaPrompt.Continuation(letter - 'A');
            var ids = tokenizer.Encode(continuation);
            return ids.Length == 1 ? ids[0] : throw new InvalidDataException(
                $"{where}: the letter '{continuation}' is {ids.Length} tokens; one-letter scoring needs one.");
        }).ToArray();
    }

    public static LetterChoice Choose(PhiForCausalLM model, PhiTokenizer tokenizer, int[] prompt, IReadOnlyList<char> letters) =>
        Choose(model, prompt, letters, Tokens(tokenizer, letters, tokenizer.Origin));

    /// <summary>The choice among <paramref name="letters"/> whose tokens (<see cref="Tokens"/>) are <paramref name="tokens"/>.</summary>
    public static LetterChoice Choose(PhiForCausalLM model, int[] prompt, IReadOnlyList<char> letters, int[] tokens)
    {
        var scores = ContinuationScorer.Score(model, prompt, tokens.Select(t => new[] { t }).ToList());
        return new LetterChoice(letters[Best(scores)], letters.Zip(scores).ToDictionary(p => p.First, p => p.Second));
    }

    /// <summary>Each letter token's log-probability in <paramref name="logProbs"/> ([V], one position), for a batched forward.</summary>
    public static double[] Scores(Tensor logProbs, int[] tokens) => tokens.Select(id => (double)logProbs[id].item<float>()).ToArray();

    /// <summary>Index of the best score; ties go to the earlier letter.</summary>
    public static int Best(double[] scores) => ContinuationScorer.Best(scores);
}
