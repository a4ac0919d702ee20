using Pastanoodles.Retrieval.Pdf;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Retrieval.Pdf;

public class PdfPageReaderTests
{
    [Fact]
    public void Every_pdf_under_the_folder_gives_one_document_per_page_with_relative_source_and_zero_based_page()
    {
        using var folder = new TempDir();
        PdfFixtures.WriteTextPdf(folder.Combine("physics", "waves.pdf"), ["Waves carry energy."], ["Interference of light."]);
        PdfFixtures.WriteTextPdf(folder.Combine("cs.PDF"), ["Hash tables give constant time lookups."]);
        File.WriteAllText(folder.Combine("notes.txt"), "not a pdf");

        var files = new PdfPageReader().ReadDirectory(folder.Path).ToList();

        var pages = files.SelectMany(f => f.Pages).ToList();
        Assert.Equal(["cs.PDF", "physics/waves.pdf", "physics/waves.pdf"], pages.Select(p => p.Source));
        Assert.Equal([0, 0, 1], pages.Select(p => p.Page));
        Assert.Equal("Interference of light.", pages[2].Text);
        Assert.Empty(files.SelectMany(f => f.Failures));
    }

    [Fact]
    public void Words_stay_apart_in_extracted_text()
    {
        using var folder = new TempDir();
        PdfFixtures.WriteTextPdf(folder.Combine("a.pdf"), ["The quick brown fox", "jumps over the lazy dog"]);
        var page = new PdfPageReader().ReadFile(folder.Combine("a.pdf"), "a.pdf").Pages.Single();
        Assert.Equal(["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"],
            page.Text.Split([' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Words_hyphenated_at_a_line_end_are_joined()
    {
        using var folder = new TempDir();
        PdfFixtures.WriteTextPdf(folder.Combine("h.pdf"), ["The charac-", "ter of a hy-", "pothesis and Fourier-", "Transform"]);
        var text = new PdfPageReader().ReadFile(folder.Combine("h.pdf"), "h.pdf").Pages.Single().Text;
        Assert.Contains("character of a hypothesis", text);
        Assert.Contains("Fourier-", text); // an upper-case letter after the break: kept as a compound
    }

    [Theory]
    [InlineData("exam-\nple", "example")]
    [InlineData("exam- \r\n ple", "example")]
    [InlineData("state-of-\nthe-art", "state-ofthe-art")]
    [InlineData("Gauss-\nJordan", "Gauss-\nJordan")]
    [InlineData("2-\n3", "2-\n3")]
    public void Hyphen_join_needs_lower_case_letters_on_both_sides(string input, string expected) =>
        Assert.Equal(expected, PdfPageReader.JoinHyphenatedLineEnds(input));

    [Fact]
    public void Corrupt_encrypted_and_fake_pdfs_are_reported_by_name_and_skipped()
    {
        using var folder = new TempDir();
        PdfFixtures.WriteTextPdf(folder.Combine("good.pdf"), ["Entropy never decreases."]);
        PdfFixtures.WriteEncryptedPdf(folder.Combine("locked.pdf"), "secret", ["Hidden text."]);
        PdfFixtures.WriteTruncatedPdf(folder.Combine("sub", "broken.pdf"), ["Cut in half."]);
        File.WriteAllText(folder.Combine("fake.pdf"), "this is plain text");
        File.WriteAllBytes(folder.Combine("empty.pdf"), []);

        var files = new PdfPageReader().ReadDirectory(folder.Path).ToList();

        Assert.Equal(["good.pdf"], files.SelectMany(f => f.Pages).Select(p => p.Source));
        var failures = files.SelectMany(f => f.Failures).ToDictionary(f => f.Source);
        Assert.Equal(["empty.pdf", "fake.pdf", "locked.pdf", "sub/broken.pdf"], failures.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("encrypted", failures["locked.pdf"].Reason);
        Assert.Contains("not a readable PDF", failures["sub/broken.pdf"].Reason);
        Assert.All(failures.Values, f => Assert.Null(f.Page));
        Assert.StartsWith("locked.pdf: ", failures["locked.pdf"].ToString());
    }

    [Fact]
    public void A_page_that_fails_is_reported_and_the_other_pages_are_kept()
    {
        using var folder = new TempDir();
        PdfFixtures.WritePdfWithBrokenPage(folder.Combine("mixed.pdf"), 1, ["Page one text."], ["Page two text."], ["Page three text."]);

        var result = new PdfPageReader().ReadFile(folder.Combine("mixed.pdf"), "mixed.pdf");

        Assert.Equal([0, 2], result.Pages.Select(p => p.Page));
        Assert.Equal("Page three text.", result.Pages[1].Text);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(("mixed.pdf", 1), (failure.Source, failure.Page));
        Assert.StartsWith("mixed.pdf page 1: ", failure.ToString());
    }

    [Fact]
    public void Missing_folder_is_named_in_the_error()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => new PdfPageReader().ReadDirectory("/no/such/corpus").ToList());
        Assert.Contains("/no/such/corpus", error.Message);
    }
}
