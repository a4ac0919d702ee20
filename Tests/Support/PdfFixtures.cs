// Test PDFs made on the fly: text pages with PdfPig's writer (Standard 14 font, no font files needed), encryption
// with PDFsharp, and broken files by hand. No third-party document is shipped.
using PdfSharp.Pdf.IO;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Pastanoodles.Tests.Support;

/// <summary>Writes small PDF fixtures: text pages, a password-protected copy, truncated and non-PDF files.</summary>
public static class PdfFixtures
{
    /// <summary>A PDF with one page per entry; each page's lines are written top to bottom in Helvetica 11 pt.</summary>
    public static byte[] TextPdf(params string[][] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var lines in pages)
        {
            var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            var y = 800.0;
            foreach (var line in lines)
            {
                page.AddText(line, 11, new PdfPoint(50, y), font);
                y -= 14;
            }
        }
        return builder.Build();
    }

    /// <summary>Writes <see cref="TextPdf"/> to <paramref name="path"/> (folders created).</summary>
    public static string WriteTextPdf(string path, params string[][] pages)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, TextPdf(pages));
        return path;
    }

    /// <summary>A copy of a text PDF that needs the user password <paramref name="password"/> to open (PDFsharp's default
    /// security handler).</summary>
    public static string WriteEncryptedPdf(string path, string password, params string[][] pages)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var input = new MemoryStream(TextPdf(pages));
        using var document = PdfReader.Open(input, PdfDocumentOpenMode.Modify);
        document.SecuritySettings.UserPassword = password;
        document.SecuritySettings.OwnerPassword = password + "-owner";
        document.Save(path);
        return path;
    }

    /// <summary>A text PDF whose page <paramref name="brokenPage"/> (0-based) points its /Contents at an object
    /// that is not a content stream: the file opens, the other pages read, that page throws when read.</summary>
    public static string WritePdfWithBrokenPage(string path, int brokenPage, params string[][] pages)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = System.Text.Encoding.Latin1.GetString(TextPdf(pages));
        var matches = System.Text.RegularExpressions.Regex.Matches(text, @"/Contents (\d+) 0 R");
        if (brokenPage >= matches.Count)
            throw new InvalidOperationException($"Page {brokenPage} not found: the PDF has {matches.Count} pages.");
        var number = matches[brokenPage].Groups[1];
        // Same digit count, so every xref offset stays right; object 1 is a dictionary, not a stream.
        var replacement = "1".PadLeft(number.Length, '0');
        text = text[..number.Index] + replacement + text[(number.Index + number.Length)..];
        File.WriteAllBytes(path, System.Text.Encoding.Latin1.GetBytes(text));
        return path;
    }

    /// <summary>The first half of a valid PDF: header present, body cut, no xref or trailer.</summary>
    public static string WriteTruncatedPdf(string path, params string[][] pages)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = TextPdf(pages);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        return path;
    }
}
