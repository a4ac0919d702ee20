namespace Pastanoodles.Training.Data;

/// <summary>One multiple-choice question with lettered options A, B, C, ... and the index of the right one.</summary>
/// <param name="Subject">MMLU's subject (<c>college_physics</c>), when the data has one; it names the prompt's topic.</param>
public sealed record McqaRow(string Question, IReadOnlyList<string> Choices, int Answer, string Source, int Row, string? Subject = null)
{
    /// <summary>The letter of option <paramref name="index"/>: 0 → 'A'.</summary>
    public static char Letter(int index) => (char)('A' + index);

    public char AnswerLetter => Letter(Answer);
}
