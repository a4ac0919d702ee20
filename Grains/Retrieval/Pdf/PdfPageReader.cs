// PDF → one PageDocument per page, LangChain PyPDFDirectoryLoader style (recursive "**/*.pdf", page 0-based,
// source relative), with two deliberate differences: a broken file is reported and skipped instead of failing the
// whole load, and each page is guarded on its own, because PdfPig can fail lazily on one page of a file whose
// other pages are fine (shared/specs/rag.md §5).
using System.Text.RegularExpressions;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;

namespace Pastanoodles.Retrieval.Pdf;

/// <summary>Reads every <c>*.pdf</c> under a folder into page documents, naming each file or page it cannot read.</summary>
/// <remarks>Text comes from PdfPig's <see cref="ContentOrderTextExtractor"/>: <c>page.Text</c> glues letters without
/// spaces on TeX-made PDFs, while the content-order extractor puts spaces between words and newlines between lines
/// (the figures are in README, "Retrieval"). Words hyphenated at a line end are joined again.</remarks>
public sealed partial class PdfPageReader
{
    /// <summary>Reads every PDF under <paramref name="root"/> (recursively, hidden folders and files skipped,
    /// '.pdf' in any case), in ordinal path order so runs are repeatable.</summary>
    public IEnumerable<PdfFileResult> ReadDirectory(string root)
    {
        foreach (var (full, source) in ListDirectory(root))
            yield return ReadFile(full, source);
    }

    /// <summary>The PDFs <see cref="ReadDirectory"/> reads, in its order, each with its source name: its path relative to <paramref name="root"/>.</summary>
    public static IReadOnlyList<(string Full, string Source)> ListDirectory(string root)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Corpus folder '{root}' does not exist. HINT: pass a folder that holds PDF files.");
        return [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".pdf", StringComparison.OrdinalIgnoreCase))
            .Select(f => (Full: f, Source: Path.GetRelativePath(root, f).Replace('\\', '/')))
            .Where(f => !f.Source.Split('/').Any(part => part.StartsWith('.')))
            .OrderBy(f => f.Source, StringComparer.Ordinal)];
    }

    /// <summary>Reads one PDF file; <paramref name="source"/> is the name its pages and failures carry.</summary>
    public PdfFileResult ReadFile(string path, string source)
    {
        var pages = new List<PageDocument>();
        var failures = new List<PdfReadFailure>();
        PdfDocument document;
        try
        {
            document = PdfDocument.Open(path);
        }
        catch (PdfDocumentEncryptedException)
        {
            failures.Add(new PdfReadFailure(source, null, "encrypted (it needs a password); skipped"));
            return new PdfFileResult(source, pages, failures);
        }
        catch (Exception e)
        {
            failures.Add(new PdfReadFailure(source, null, $"not a readable PDF ({e.GetType().Name}: {e.Message}); skipped"));
            return new PdfFileResult(source, pages, failures);
        }

        using (document)
        {
            int count;
            try
            {
                count = document.NumberOfPages;
            }
            catch (Exception e)
            {
                failures.Add(new PdfReadFailure(source, null, $"page tree unreadable ({e.GetType().Name}: {e.Message}); skipped"));
                return new PdfFileResult(source, pages, failures);
            }
            for (var number = 1; number <= count; number++)
            {
                try
                {
                    var text = ExtractText(document.GetPage(number));
                    pages.Add(new PageDocument(source, number - 1, text));
                }
                catch (Exception e)
                {
                    failures.Add(new PdfReadFailure(source, number - 1, $"{e.GetType().Name}: {e.Message}; page skipped"));
                }
            }
        }
        return new PdfFileResult(source, pages, failures);
    }

    /// <summary>The page text with words apart, hyphenated line ends joined, and surrounding whitespace trimmed.</summary>
    public static string ExtractText(UglyToad.PdfPig.Content.Page page) =>
        JoinHyphenatedLineEnds(ContentOrderTextExtractor.GetText(page)).Trim();

    /// <summary>Joins <c>charac-\nter</c> into <c>character</c> when both sides are lower-case letters, as
    /// pdftotext does (it also merges a real compound broken at that hyphen, a known cost).</summary>
    public static string JoinHyphenatedLineEnds(string text) => HyphenatedLineEnd().Replace(text, "$1$2");

    [GeneratedRegex(@"(\p{Ll})-[ \t]*\r?\n[ \t]*(\p{Ll})")]
    private static partial Regex HyphenatedLineEnd();
}
