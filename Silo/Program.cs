using Pastanoodles.Cluster;
using Pastanoodles.Silo;

// Worker mode: one training attempt in this process, started and supervised by a gpu silo (WorkerProcessRunner).
if (args is ["worker"])
    return TrainingWorker.Run(Console.In, Console.OpenStandardOutput());

var builder = WebApplication.CreateBuilder(args);
builder.AddPastanoodlesSilo(args);

var app = builder.Build();
app.MapPastanoodlesSilo();
app.Run();
return 0;
