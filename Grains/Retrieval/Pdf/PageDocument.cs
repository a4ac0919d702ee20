namespace Pastanoodles.Retrieval.Pdf;

/// <summary>One PDF page as LangChain's PyPDFLoader gives it: the text, <c>source</c> (path relative to the ingested
/// root, '/' separated) and <c>page</c> (0-based).</summary>
public sealed record PageDocument(string Source, int Page, string Text);

/// <summary>A file, or one page of it (<see cref="Page"/> set), that could not be read, and why.</summary>
public sealed record PdfReadFailure(string Source, int? Page, string Reason)
{
    public override string ToString() =>
        Page is { } page ? $"{Source} page {page}: {Reason}" : $"{Source}: {Reason}";
}

/// <summary>What one PDF file gave: its readable pages and what failed in it.</summary>
public sealed record PdfFileResult(string Source, IReadOnlyList<PageDocument> Pages, IReadOnlyList<PdfReadFailure> Failures);
