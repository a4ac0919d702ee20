using Pastanoodles.Silo;

var builder = WebApplication.CreateBuilder(args);
builder.AddPastanoodlesSilo(args);

var app = builder.Build();
app.MapPastanoodlesSilo();
app.Run();
