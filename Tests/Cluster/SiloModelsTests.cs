using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pastanoodles.Answering;
using Pastanoodles.Cluster;
using Pastanoodles.Modeling;
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
        using var models = Silo(new AnswerOptions { MaxAdapters = 2 });
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

    static SiloModels Silo(AnswerOptions options) => new(Options.Create(options), NullLogger<SiloModels>.Instance);

    /// <summary>A forward that records the thread it ran on and reports <paramref name="ms"/> of model time for 100 prompt tokens.</summary>
    static Func<RagAnswer> Forward(List<string?> threads, Func<bool, double> ms) => () =>
    {
        var name = Thread.CurrentThread.Name;
        lock (threads) threads.Add(name);
        return new RagAnswer('A', new Dictionary<char, double>(), [], 0, ms(name == "pastanoodles answer wide"), 100, false);
    };

    [Fact]
    public async Task An_answer_alone_runs_on_every_core_while_that_is_faster_and_answers_at_once_each_get_one_core()
    {
        using var models = Silo(new AnswerOptions { ForwardThreads = 2 });
        var loaded = await models.GetAsync("tiny", nf4: true);
        Assert.Same(loaded, await models.GetAsync("tiny", nf4: true));
        var threads = new List<string?>();

        // One at a time: each path measured twice (its first not counted), then the faster, wide.
        var wideFaster = Forward(threads, wide => wide ? 6 : 10);
        for (int i = 0; i < 4 + 8; i++)
            await models.ForwardAsync(loaded, wideFaster);
        Assert.Equal((10L, 2L), models.ForwardsRun);
        Assert.Equal(10, threads.Count(t => t == "pastanoodles answer wide"));

        // Three at once: each waits for the others, so they finish only if all run together. The first, alone when it came, runs
        // wide; the two that came while it ran each get a narrow thread.
        threads.Clear();
        using var all = new Barrier(3);
        var together = Forward(threads, _ => all.SignalAndWait(TimeSpan.FromMinutes(2)) ? 1 : throw new TimeoutException("the others never ran"));
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => models.ForwardAsync(loaded, together)));
        Assert.Equal(["pastanoodles answer 1", "pastanoodles answer 2", "pastanoodles answer wide"], threads.Order());

        // The machine gets busy and wide forwards slow down: lone answers move to one core, and only the tries of the other path
        // (3 in every 16) still run wide.
        var wideSlower = Forward(threads, wide => wide ? 16 : 10);
        for (int i = 0; i < ForwardWidthChooser.ExploreEvery; i++)
            await models.ForwardAsync(loaded, wideSlower);
        var before = models.ForwardsRun;
        for (int i = 0; i < ForwardWidthChooser.ExploreEvery; i++)
            await models.ForwardAsync(loaded, wideSlower);
        Assert.Equal(ForwardWidthChooser.ExploreRun, models.ForwardsRun.Wide - before.Wide);
    }

    [Fact]
    public async Task A_forward_runs_on_one_core_while_another_answer_is_still_retrieving()
    {
        using var models = Silo(new AnswerOptions { ForwardThreads = 2 });
        var loaded = await models.GetAsync("tiny", nf4: true);
        var threads = new List<string?>();
        var forward = Forward(threads, wide => wide ? 6 : 10);

        using (models.Answering())
        using (models.Answering())    // a second answer, in its retrieval
            await models.ForwardAsync(loaded, forward);
        using (models.Answering())
            await models.ForwardAsync(loaded, forward);

        Assert.Equal(["narrow", "wide"], threads.Select(t => t == "pastanoodles answer wide" ? "wide" : "narrow"));
        Assert.Equal((1L, 1L), models.ForwardsRun);
    }

    [Fact]
    public async Task A_forward_that_another_answer_arrived_during_is_not_timed_and_a_failed_forward_leaves_the_silo_idle()
    {
        using var models = Silo(new AnswerOptions { ForwardThreads = 2 });
        var loaded = await models.GetAsync("tiny", nf4: true);
        var threads = new List<string?>();
        var forward = Forward(threads, wide => wide ? 6 : 10);
        var overlapped = Forward(threads, wide => { models.Answering().Dispose(); return wide ? 6 : 10; });

        await Assert.ThrowsAsync<InvalidDataException>(() => models.ForwardAsync(loaded, () => throw new InvalidDataException("bad forward")));
        await models.ForwardAsync(loaded, forward);      // wide: the failure left nothing counted as busy; not timed (first on its path)
        await models.ForwardAsync(loaded, overlapped);   // wide, not timed: an answer arrived while it ran
        await models.ForwardAsync(loaded, forward);      // wide, timed: now wide is measured
        await models.ForwardAsync(loaded, forward);      // narrow, to measure one core

        Assert.Equal((4L, 1L), models.ForwardsRun);
    }

    [Fact]
    public async Task With_wide_lone_forwards_off_every_answer_runs_on_one_core()
    {
        using var models = Silo(new AnswerOptions { ForwardThreads = 2, WideLoneForwards = false });
        var loaded = await models.GetAsync("tiny", nf4: true);
        var threads = new List<string?>();

        for (int i = 0; i < 20; i++)
            await models.ForwardAsync(loaded, Forward(threads, wide => wide ? 1 : 10));

        Assert.Equal((0L, 20L), models.ForwardsRun);
        Assert.All(threads, t => Assert.StartsWith("pastanoodles answer ", t));
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
        Assert.True(new AnswerOptions().WideLoneForwards);
        Assert.Empty(Failures(new AnswerOptions { ForwardThreads = 0 }));
        Assert.Equal(["Answer:ForwardThreads is set to -1. Answer:ForwardThreads must be 0 (the thread pool) or more."],
            Failures(new AnswerOptions { ForwardThreads = -1 }));
    }
}
