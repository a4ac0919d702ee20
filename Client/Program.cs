using System.CommandLine;
using Pastanoodles.Client.Commands;

Pastanoodles.Modeling.NativeHeap.Configure();   // before any tensor: large blocks in their own mappings (see NativeHeap)
var root = new RootCommand("Pastanoodles: DPO + QDoRA on Phi-2, one-letter MCQA answers and retrieval over course PDFs, on Orleans.");
foreach (var command in CommandCatalog.All())
    root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
