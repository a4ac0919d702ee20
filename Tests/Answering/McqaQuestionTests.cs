using Pastanoodles.Answering;

namespace Pastanoodles.Tests.Answering;

public class McqaQuestionTests
{
    [Theory]
    [InlineData("What is 2+2? A. 3 B. 4 C. 5 D. 6")]
    [InlineData("What is 2+2? A) 3 B) 4 C) 5 D) 6")]
    [InlineData("What is 2+2? (A) 3 (B) 4 (C) 5 (D) 6")]
    [InlineData("What is 2+2?\nA. 3\nB. 4\nC. 5\nD. 6\n")]
    public void Options_inline_or_one_per_line_are_found(string text)
    {
        var question = McqaQuestion.Parse(text);
        Assert.Equal("What is 2+2?", question.Stem);
        Assert.Equal([('A', "3"), ('B', "4"), ('C', "5"), ('D', "6")], question.Options);
        Assert.Equal(text, question.Text);
    }

    [Fact]
    public void Three_options_give_three_letters()
    {
        Assert.Equal(['A', 'B', 'C'], McqaQuestion.Parse("Which sort is stable? A. Merge sort B. Heap sort C. Quick sort").Letters);
    }

    [Fact]
    public void A_letter_with_a_dot_inside_the_stem_is_not_taken_for_the_options()
    {
        var question = McqaQuestion.Parse("Which vitamin is A. Retinol? A. Vitamin A B. Vitamin C C. Vitamin D");
        Assert.Equal("Which vitamin is A. Retinol?", question.Stem);
        Assert.Equal(["Vitamin A", "Vitamin C", "Vitamin D"], question.Options.Select(o => o.Option));
    }

    [Theory]
    [InlineData("What is the speed of light?")]
    [InlineData("What is the speed of light? A. fast")]
    [InlineData("   ")]
    public void A_question_without_options_is_a_clear_error(string text)
    {
        var ex = Assert.Throws<ArgumentException>(() => McqaQuestion.Parse(text));
        Assert.Contains("A. 3 B. 4", ex.Message);
    }
}
