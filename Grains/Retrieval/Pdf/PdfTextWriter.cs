// Renders plain text into simple PDFs (Helvetica, A4, word-wrapped) with PdfPig's writer, for the sample corpus.
// Not a layout engine: no hyphenation, fonts or images; a page that overflows continues on a new PDF page.
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Pastanoodles.Retrieval.Pdf;

/// <summary>Writes text pages (paragraphs separated by blank lines) as a PDF with one PDF page per text page.</summary>
public static class PdfTextWriter
{
    /// <summary>The line that separates pages in a source text file.</summary>
    public const string PageBreak = "<<<page>>>";

    private const double FontSize = 10, Leading = 13, Left = 56, Top = 790, Bottom = 56;
    private const int MaxLineCharacters = 95;

    public static byte[] Write(IEnumerable<string> pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var text in pages)
        {
            var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            var y = Top;
            foreach (var line in Wrap(text))
            {
                if (y < Bottom)
                {
                    page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
                    y = Top;
                }
                if (line.Length > 0)
                    page.AddText(line, FontSize, new PdfPoint(Left, y), font);
                y -= Leading;
            }
        }
        return builder.Build();
    }

    /// <summary>Splits a source file's text into pages at lines holding only <see cref="PageBreak"/>.</summary>
    public static IReadOnlyList<string> SplitPages(string text) =>
        text.Replace("\r\n", "\n").Split($"\n{PageBreak}\n").Select(p => p.Trim()).Where(p => p.Length > 0).ToList();

    private static IEnumerable<string> Wrap(string text)
    {
        var paragraphs = text.Replace("\r\n", "\n").Split("\n\n");
        for (var p = 0; p < paragraphs.Length; p++)
        {
            if (p > 0)
                yield return "";
            var line = "";
            foreach (var word in paragraphs[p].Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.Length > 0 && line.Length + 1 + word.Length > MaxLineCharacters)
                {
                    yield return line;
                    line = "";
                }
                line = line.Length == 0 ? word : line + " " + word;
            }
            if (line.Length > 0)
                yield return line;
        }
    }
}
