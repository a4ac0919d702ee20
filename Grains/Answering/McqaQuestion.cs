using System.Text.RegularExpressions;

namespace Pastanoodles.Answering;

/// <summary>A question typed by a user with its options in the text ("A. …", "A) …" or "(A) …", inline or one per line),
/// split into the stem and the lettered options, so the answer is chosen among the question's own letters.</summary>
/// <remarks>
/// Options are a run of consecutive letters from A (A, B, C, ...), each marker at the start of the text or after
/// whitespace and followed by whitespace. When "A." also occurs in the stem ("vitamin A. Which ..."), the longest run
/// wins, and among equally long runs the last one. At least two options are needed. <see cref="Text"/> is the
/// question as given (it goes into the prompt unchanged).
/// </remarks>
public sealed partial record McqaQuestion(string Text, string Stem, IReadOnlyList<(char Letter, string Option)> Options)
{
    public IReadOnlyList<char> Letters => Options.Select(o => o.Letter).ToList();

    [GeneratedRegex(@"(?:^|(?<=\s))(?:\((?<l>[A-Z])\)|(?<l>[A-Z])[.)])(?=\s)")]
    private static partial Regex Marker();

    public static McqaQuestion Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException("The question is empty. HINT: write the question and its options, e.g. \"What is 2+2? A. 3 B. 4 C. 5 D. 6\".");
        var markers = Marker().Matches(text).Select(m => (Letter: m.Groups["l"].Value[0], m.Index, m.Length)).ToList();
        List<(char Letter, int Index, int Length)> best = [];
        for (var i = 0; i < markers.Count; i++)
        {
            if (markers[i].Letter != 'A')
                continue;
            var run = new List<(char, int, int)> { markers[i] };
            for (var j = i + 1; j < markers.Count; j++)
                if (markers[j].Letter == (char)('A' + run.Count))
                    run.Add(markers[j]);
            if (run.Count >= best.Count)
                best = run;
        }
        if (best.Count < 2)
            throw new ArgumentException(
                $"The question has no options: \"{Shorten(text)}\". Write them as \"A. …\", \"A) …\" or \"(A) …\", inline or one per line, " +
                "letters from A in order, at least two. HINT: \"What is 2+2? A. 3 B. 4 C. 5 D. 6\".");
        var options = new List<(char, string)>();
        for (var i = 0; i < best.Count; i++)
        {
            var start = best[i].Index + best[i].Length;
            var end = i + 1 < best.Count ? best[i + 1].Index : text.Length;
            var option = text[start..end].Trim();
            if (option.Length == 0)
                throw new ArgumentException($"Option {best[i].Letter} of the question is empty. HINT: write its text after \"{best[i].Letter}.\".");
            options.Add((best[i].Letter, option));
        }
        return new McqaQuestion(text, text[..best[0].Index].Trim(), options);
    }

    static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
