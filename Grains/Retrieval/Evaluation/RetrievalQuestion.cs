namespace Pastanoodles.Retrieval.Evaluation;

/// <summary>One evaluation row: a multiple-choice question, its options A..D, the right letter and the page that
/// answers it (<c>source</c> as ingested, 0-based <c>page</c>).</summary>
public sealed record RetrievalQuestion(
    string Question, IReadOnlyDictionary<string, string> Options, string Answer, string Source, int Page)
{
    /// <summary>The retrieval query: the question followed by its options, as the answer prompt carries them.</summary>
    public string QueryWithOptions => Question + "\n" + string.Join("\n", Options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}. {o.Value}"));
}
