using Microsoft.Extensions.Options;
using Pastanoodles.Cluster;
using Pastanoodles.Silo;

Pastanoodles.Modeling.NativeHeap.Configure();   // before any tensor: large blocks in their own mappings (see NativeHeap)

// Worker mode: one training attempt in this process, started and supervised by a gpu silo (WorkerProcessRunner).
if (args is ["worker"])
    return TrainingWorker.Run(Console.In, Console.OpenStandardOutput());

WebApplication app;
try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddPastanoodlesSilo(args);
    app = builder.Build();
}
catch (Exception ex) when (ex is OptionsValidationException or RedisAuthenticationException or FileNotFoundException or InvalidDataException or ArgumentException)
{
    // Settings the operator can fix: one line each, no stack trace.
    foreach (var line in ex is OptionsValidationException validation ? validation.Failures : [ex.Message])
        Console.Error.WriteLine($"error: {line}");
    return 2;
}
app.MapPastanoodlesSilo();
app.Run();
return Environment.ExitCode;
