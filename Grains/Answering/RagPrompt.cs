namespace Pastanoodles.Answering;

/// <summary>The seed's RAG prompt, word for word: context chunks, then the question with its options, then the one-letter instruction.</summary>
/// <remarks>
/// <c>"Considering this context: " + context + " Answer the following question: " + question + " Output one letter only corresponding to the correct answer."</c>
/// The seed does not say how chunks are joined; we join them best-ranked first, each trimmed, separated by a blank
/// line (<see cref="ChunkSeparator"/>), as LangChain's <c>format_docs</c> does (<c>"\n\n".join(doc.page_content ...)</c>).
/// The prompt ends without a trailing space: the letter is scored as the continuation " A", " B", ... (lm-eval's
/// target_delimiter, ml.md §7).
/// </remarks>
public static class RagPrompt
{
    public const string ChunkSeparator = "\n\n";

    public static string Render(string context, string question) =>
        "Considering this context: " + context + " Answer the following question: " + question + " Output one letter only corresponding to the correct answer.";

    /// <summary>The prompt for retrieved chunk texts, given best first.</summary>
    public static string Render(IEnumerable<string> chunks, string question) => Render(JoinContext(chunks), question);

    public static string JoinContext(IEnumerable<string> chunks) => string.Join(ChunkSeparator, chunks.Select(c => c.Trim()));
}
