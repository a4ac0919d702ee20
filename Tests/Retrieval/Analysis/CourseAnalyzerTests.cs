using Lucene.Net.Analysis.TokenAttributes;
using Pastanoodles.Retrieval.Analysis;

namespace Pastanoodles.Tests.Retrieval.Analysis;

public class CourseAnalyzerTests
{
    private static readonly CourseAnalyzer Analyzer = new();

    public static IEnumerable<object[]> Vocabulary() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Retrieval", "Analysis", "course-vocabulary.txt"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t'))
            .Select(fields => new object[] { fields[0], fields[1] });

    [Theory]
    [MemberData(nameof(Vocabulary))]
    public void Golden_vocabulary_analyzes_to_its_terms(string input, string expected) =>
        Assert.Equal(expected.Split(' '), Analyzer.Terms(input));

    [Theory]
    [InlineData("the")]
    [InlineData("and")]
    [InlineData("was")]
    [InlineData("has")]
    [InlineData("does")]
    [InlineData("which")]
    public void Stop_words_are_removed_before_lemmatizing(string word)
    {
        Assert.Empty(Analyzer.Terms(word));
        Assert.Empty(Analyzer.Terms(word.ToUpperInvariant()));
    }

    [Fact]
    public void Without_lemmatization_terms_are_only_lower_cased_and_stopped()
    {
        Assert.Equal(["matrices", "inverted"], new CourseAnalyzer(lemmatize: false).Terms("The Matrices were INVERTED"));
    }

    [Fact]
    public void Query_and_document_text_meet_on_the_same_lemma()
    {
        Assert.Equal(Analyzer.Terms("a mouse runs"), Analyzer.Terms("mice ran"));
    }

    [Fact]
    public void Random_strings_give_well_formed_tokens()
    {
        var random = new Random(4);
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ éßΩ𝐀-'.,;:!?0123456789_\n\t\u00ad\u200b";
        var runes = alphabet.EnumerateRunes().ToArray();
        var lemmatized = 0;
        for (var i = 0; i < 2000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(0, 120)).Select(_ => runes[random.Next(runes.Length)].ToString()));
            if (random.Next(4) == 0)
                text += " studies mice ran " + new string('s', random.Next(1, 300));

            using var stream = Analyzer.GetTokenStream("text", new StringReader(text));
            var term = stream.AddAttribute<ICharTermAttribute>();
            var offsets = stream.AddAttribute<IOffsetAttribute>();
            stream.Reset();
            var lastStart = 0;
            while (stream.IncrementToken())
            {
                var value = term.ToString();
                Assert.False(value.Length == 0, $"empty term in '{text}'");
                Assert.False(CourseStopWords.Set.Contains(value), $"stop word '{value}' in '{text}'");
                Assert.Equal(value.ToLowerInvariant(), value);
                Assert.InRange(offsets.StartOffset, lastStart, text.Length);
                Assert.InRange(offsets.EndOffset, offsets.StartOffset, text.Length);
                lastStart = offsets.StartOffset;
                if (value is "study" or "mouse" or "run")
                    lemmatized++;
            }
            stream.End();
        }
        Assert.True(lemmatized > 300, $"only {lemmatized} lemmas seen; the blast did not reach the lemma filter");
    }
}
