using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pastanoodles.Answering;
using Pastanoodles.Cluster;
using Pastanoodles.Modeling;
using Pastanoodles.Retrieval;
using Pastanoodles.Retrieval.Evaluation;

namespace Pastanoodles.Client.Benchmarks;

/// <summary>`ask` through real silo processes against the same work in-process: latency p50/p99 and throughput with 1, 2 and 4 silos.</summary>
/// <remarks>
/// The corpus is the sample course PDFs in 4 shards; questions are samples/questions.jsonl, cycled. "retrieval" is the
/// fan-out search alone (AnswerGrain.SearchAsync vs CorpusEngine.Search); "with model" adds the seed's prompt and the
/// 4-bit tiny model's letter scores (AnswerGrain.AskAsync vs AnswerPipeline.Answer). Throughput runs 8 asks at once,
/// spread by the client over every silo's gateway. The "with model" rows also show the p50s of the retrieval and model times the
/// answer measured itself (<see cref="AnswerResult.RetrievalMs"/>, <see cref="AnswerResult.ModelMs"/>): in a silo, without the
/// client's hop. A silo computes each forward on one intra-op thread (so that answers at once each have a core); the "1 thread"
/// in-process row does the same, and the silo rows' ratio to it is in brackets.
/// </remarks>
public static class ClusterBenchmark
{
    public const int Shards = 4;

    public static async Task RunAsync(TextWriter output, int asks, IReadOnlyList<int> siloCounts, CancellationToken ct)
    {
        var root = LocalSilo.RepositoryRoot();
        var corpus = Path.Combine(root, "samples", "corpus");
        var questions = RetrievalQuestionReader.Read(Path.Combine(root, "samples", "questions.jsonl")).Select(q => q.QueryWithOptions).ToList();
        using var scratch = new Support.ScratchDir();

        using var local = CorpusEngine.Open(Path.Combine(scratch.Path, "local"), new CorpusOptions { Shards = Shards });
        local.IngestDirectory(corpus, fitLsa: false);
        using var model = LoadedModel.Load("tiny");
        var pipeline = new AnswerPipeline(local, model);
        var inRetrieval = Measure(asks, i => local.Search(questions[i % questions.Count], pipeline.K));
        var inParts = new List<(double, double)>();
        var inModel = Measure(asks, i =>
        {
            var answer = pipeline.Answer(questions[i % questions.Count]);
            inParts.Add((answer.RetrievalMs, answer.ModelMs));
        });
        // The same answers on one thread with one libtorch intra-op thread, as a silo computes each forward (Answer:ForwardThreads).
        using var oneThread = new TorchWorkerThreads(1, "bench in-process, one intra-op thread");
        var inOneParts = new List<(double, double)>();
        var inModelOne = Measure(asks, i =>
        {
            var answer = oneThread.Run(() => pipeline.Answer(questions[i % questions.Count]));
            inOneParts.Add((answer.RetrievalMs, answer.ModelMs));
        });
        await output.WriteLineAsync($"{asks} asks per setup, {questions.Count} sample questions, {Shards} shards, tiny (nf4), {Environment.ProcessorCount} cores");
        await output.WriteLineAsync($"{"setup",-36} {"p50 ms",8} {"p99 ms",8} {"x in-process p50 (x 1 thread)",30} {"asks/s (8 at once)",19} {"of which retrieval + model p50",31}");
        await output.WriteLineAsync($"{"in-process retrieval",-36} {inRetrieval.P50,8:F2} {inRetrieval.P99,8:F2}");
        await output.WriteLineAsync($"{"in-process with model",-36} {inModel.P50,8:F2} {inModel.P99,8:F2} {"",30} {"",19} {Parts(inParts),31}");
        await output.WriteLineAsync($"{"in-process with model, 1 thread",-36} {inModelOne.P50,8:F2} {inModelOne.P99,8:F2} {"",30} {"",19} {Parts(inOneParts),31}");

        var dll = await LocalSilo.BuildAsync(TextWriter.Null, ct);
        foreach (var count in siloCounts)
        {
            var data = Path.Combine(scratch.Path, $"cluster-{count}");
            Directory.CreateDirectory(data);
            var ports = Enumerable.Range(0, count).Select(_ => (Silo: FreePorts.Next(), Gateway: FreePorts.Next())).ToList();
            var silos = new List<LocalSilo.Started>();
            try
            {
                foreach (var (silo, gateway) in ports)
                    silos.Add(await LocalSilo.LaunchAsync(dll, data, silo, gateway, ports[0].Silo, "", Path.Combine(data, $"silo-{silo}.log"), ct));
                using var client = await ConnectAsync(ports.Select(p => p.Gateway).ToArray(), ct);
                await ClusterIngest.IngestDirectoryAsync(client.Services.GetRequiredService<IClusterClient>(), corpus, new CorpusOptions { Shards = Shards });
                var grains = client.Services.GetRequiredService<IClusterClient>();
                var answer = grains.GetGrain<IAnswerGrain>(0);
                await answer.AskAsync(new AnswerRequest(questions[0]));              // load the model once per silo
                var retrieval = await MeasureAsync(asks, i => answer.SearchAsync(questions[i % questions.Count], pipeline.K));
                var parts = new List<(double, double)>();
                var withModel = await MeasureAsync(asks, async i =>
                {
                    var result = await answer.AskAsync(new AnswerRequest(questions[i % questions.Count]));
                    parts.Add((result.RetrievalMs, result.ModelMs));
                    return result;
                });
                var throughput = await ThroughputAsync(grains, questions, asks, parallel: 8);
                await output.WriteLineAsync($"{$"{count} silo(s) retrieval",-36} {retrieval.P50,8:F2} {retrieval.P99,8:F2} {retrieval.P50 / inRetrieval.P50,30:F2}");
                var ratios = $"{withModel.P50 / inModel.P50:F2} ({withModel.P50 / inModelOne.P50:F2})";
                await output.WriteLineAsync($"{$"{count} silo(s) with model",-36} {withModel.P50,8:F2} {withModel.P99,8:F2} {ratios,30} {throughput,19:F1} {Parts(parts),31}");
            }
            finally
            {
                foreach (var silo in silos) silo.Stop();
            }
        }
    }

    sealed record Quantiles(double P50, double P99);

    /// <summary>The p50s of the retrieval and model times the answer measured itself (in the silo, without the client's hop).</summary>
    static string Parts(List<(double Retrieval, double Model)> parts) =>   // the first is the untimed warm-up ask
        $"{Of([.. parts.Skip(1).Select(p => p.Retrieval)]).P50:F2} + {Of([.. parts.Skip(1).Select(p => p.Model)]).P50:F2}";

    static Quantiles Measure(int count, Action<int> work)
    {
        work(0);
        var times = new double[count];
        for (int i = 0; i < count; i++)
        {
            var watch = Stopwatch.StartNew();
            work(i);
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        return Of(times);
    }

    static async Task<Quantiles> MeasureAsync<T>(int count, Func<int, Task<T>> work)
    {
        await work(0);
        var times = new double[count];
        for (int i = 0; i < count; i++)
        {
            var watch = Stopwatch.StartNew();
            await work(i);
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        return Of(times);
    }

    static async Task<double> ThroughputAsync(IClusterClient grains, IReadOnlyList<string> questions, int count, int parallel)
    {
        int next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < count;)
                await grains.GetGrain<IAnswerGrain>(0).AskAsync(new AnswerRequest(questions[i % questions.Count]));
        }));
        return count / watch.Elapsed.TotalSeconds;
    }

    static Quantiles Of(double[] times)
    {
        Array.Sort(times);
        return new Quantiles(times[(times.Length - 1) / 2], times[Math.Max(0, (int)Math.Ceiling(0.99 * times.Length) - 1)]);
    }

    /// <summary>A client over every gateway, so calls spread over the silos; retries while the silos start.</summary>
    static async Task<IHost> ConnectAsync(int[] gateways, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.ClearProviders();
            var address = new ClusterAddress();
            builder.UseOrleansClient(c => c.UseLocalhostClustering(gateways, address.ServiceId, address.ClusterId));
            var host = builder.Build();
            try
            {
                await host.StartAsync(ct);
                return host;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                host.Dispose();
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
        }
    }
}
