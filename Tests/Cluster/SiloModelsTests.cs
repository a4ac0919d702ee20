using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pastanoodles.Answering;
using Pastanoodles.Cluster;
using Pastanoodles.Modeling.Phi;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

/// <summary>A silo keeps one base per (model, quantization) and attaches run adapters to it per answer, under Answer:MaxAdapters.</summary>
public class SiloModelsTests
{
    [Fact]
    public void One_base_serves_every_adapter_and_the_budget_evicts_the_least_recently_used()
    {
        using var dir = new TempDir();
        var runs = Enumerable.Range(0, 3).Select(i => AdapterFolders.Write(dir[$"run{i}"], PhiConfig.Tiny, AdapterFolders.Dora, seed: 300 + i)).ToArray();
        using var models = new SiloModels(Options.Create(new AnswerOptions { MaxAdapters = 2 }), NullLogger<SiloModels>.Instance);
        var question = McqaQuestion.Parse("What is 2+2? A. 3 B. 4 C. 5 D. 6");

        var loaded = models.Get("tiny", nf4: true);
        foreach (var run in runs.Append(runs[0]))
        {
            Assert.Same(loaded, models.Get("tiny", nf4: true));
            AnswerPipeline.Answer(loaded, run, question, [], 0);
        }
        AnswerPipeline.Answer(loaded, null, question, [], 0);

        Assert.Equal(1, models.LoadsOf("tiny"));
        Assert.Equal([2, 1, 1], runs.Select(r => models.LoadsOf("tiny", r)));     // run0 evicted by run2, then loaded again
        Assert.Equal(new[] { runs[2], runs[0] }.Select(Path.GetFullPath), loaded.Adapters.Resident);
        Assert.Equal($"tiny (nf4, cpu) + adapter {runs[1]}", loaded.Describe(runs[1]));
    }

    static IEnumerable<string> Failures(AnswerOptions options) => new AnswerOptionsValidator().Validate(null, options).Failures ?? [];

    [Fact]
    public void Answer_options_bind_from_the_answer_section_and_bad_budgets_are_named()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Answer:MaxAdapters"] = "4",
            ["Answer:MaxAdapterBytes"] = "200000000",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddOptions<AnswerOptions>().BindConfiguration(AnswerOptions.Section);
        var bound = services.BuildServiceProvider().GetRequiredService<IOptions<AnswerOptions>>().Value;
        Assert.Equal((4, 200_000_000L), (bound.MaxAdapters, bound.MaxAdapterBytes));

        Assert.Empty(Failures(new AnswerOptions()));
        Assert.Equal((16, 0L), (new AnswerOptions().MaxAdapters, new AnswerOptions().MaxAdapterBytes));
        Assert.Equal(
            ["Answer:MaxAdapters is set to 0. Answer:MaxAdapters must be 1 or more.",
             "Answer:MaxAdapterBytes is set to -1. Answer:MaxAdapterBytes must be 0 (no limit) or more."],
            Failures(new AnswerOptions { MaxAdapters = 0, MaxAdapterBytes = -1 }));
        Assert.Empty(Failures(new AnswerOptions { QueryDtype = "float32" }));
        Assert.Equal(["Answer:QueryDtype is 'fp16'. It must be float32 or bfloat16."],
            Failures(new AnswerOptions { QueryDtype = "fp16" }));
        Assert.Equal(Environment.ProcessorCount, new AnswerOptions().ForwardThreads);
        Assert.Empty(Failures(new AnswerOptions { ForwardThreads = 0 }));
        Assert.Equal(["Answer:ForwardThreads is set to -1. Answer:ForwardThreads must be 0 (the thread pool) or more."],
            Failures(new AnswerOptions { ForwardThreads = -1 }));
    }
}
