namespace Pastanoodles.Training.Data;

/// <summary>A data row that cannot be used, with the file, the 1-based row and the field at fault.</summary>
/// <remarks>
/// <see cref="Field"/> is a JSON path below the row: <c>chosen</c>, <c>chosen[1].content</c>, or <c>$</c> when the
/// row as a whole is unreadable (invalid JSON, not an object).
/// </remarks>
public sealed class BadRowException(string file, int row, string field, string problem)
    : Exception($"{file} row {row}, field '{field}': {problem}. ---> HINT: fix or remove the row, or pass --skip-bad-rows to skip it (skipped rows are counted in the report).")
{
    public string File { get; } = file;

    public int Row { get; } = row;

    public string Field { get; } = field;

    public string Problem { get; } = problem;

    /// <summary>The field and the problem without its detail in parentheses, so that like rows group under one reason.</summary>
    public string Reason => $"{Field} {Problem.Split(" (")[0]}";
}
