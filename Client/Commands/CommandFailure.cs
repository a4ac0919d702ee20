namespace Pastanoodles.Client.Commands;

/// <summary>Runs a command body and turns the errors a user can fix (bad input, missing files, wrong settings) into
/// one line on stderr and exit code 1, instead of a stack trace.</summary>
public static class CommandFailure
{
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is FormatException or IOException or ArgumentException or InvalidDataException
                                     or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
