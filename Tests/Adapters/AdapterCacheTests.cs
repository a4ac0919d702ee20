using Pastanoodles.Adapters;
using Pastanoodles.Tests.Support;
using static TorchSharp.torch;

namespace Pastanoodles.Tests.Adapters;

/// <summary>Adapters load on first use and leave least recently used first, under a count or byte budget, never from under an answer.</summary>
public sealed class AdapterCacheTests : IDisposable
{
    readonly TempDir _dir = new();
    readonly SharedBase _shared = new(TinyModels.Build());
    readonly string[] _folders;

    public AdapterCacheTests() =>
        _folders = Enumerable.Range(0, 4).Select(i => AdapterFolders.Write(_dir[$"run{i}"], TinyModels.Micro, AdapterFolders.Dora, seed: 100 + i)).ToArray();

    public void Dispose()
    {
        _shared.Dispose();
        _dir.Dispose();
    }

    string[] Names(params int[] runs) => runs.Select(i => _folders[i]).ToArray();

    void Touch(AdapterCache cache, params int[] runs)
    {
        foreach (var i in runs)
            cache.Acquire(_folders[i]).Dispose();
    }

    [Fact]
    public void Over_max_adapters_the_least_recently_used_is_evicted_and_reloaded_when_asked_again()
    {
        using var cache = new AdapterCache(_shared, maxAdapters: 2);
        var evicted = new List<string>();
        using var logged = new AdapterCache(_shared, maxAdapters: 2, evicted: a => evicted.Add(a.Name));

        Touch(cache, 0, 1, 0);           // 0 used last: 1 is the least recently used
        Assert.Equal(Names(1, 0), cache.Resident);
        Touch(cache, 2);
        Assert.Equal(Names(0, 2), cache.Resident);
        Touch(cache, 1);                 // 1 comes back (a second load), 0 goes
        Assert.Equal(Names(2, 1), cache.Resident);
        Assert.Equal([1, 2, 1], new[] { 0, 1, 2 }.Select(i => cache.LoadsOf(_folders[i])));
        Touch(cache, 2, 2, 2);
        Assert.Equal(1, cache.LoadsOf(_folders[2]));   // resident: not loaded again

        Touch(logged, 0, 1, 2, 3);
        Assert.Equal(Names(0, 1), evicted);
    }

    [Fact]
    public void Over_the_byte_budget_the_least_recently_used_are_evicted()
    {
        long bytes;
        using (var probe = ServedAdapter.Load(_shared, _folders[0])) bytes = probe.Bytes;
        using var cache = new AdapterCache(_shared, maxAdapters: 10, maxBytes: 2 * bytes + bytes / 2);
        Touch(cache, 0, 1, 2, 3);
        Assert.Equal(Names(2, 3), cache.Resident);
        Assert.Equal(2 * bytes, cache.ResidentBytes);
    }

    [Fact]
    public void An_adapter_over_the_byte_budget_alone_is_refused_with_the_setting_to_raise()
    {
        using var cache = new AdapterCache(_shared, maxAdapters: 4, maxBytes: 1000);
        var ex = Assert.Throws<InvalidOperationException>(() => cache.Acquire(_folders[0]));
        Assert.Contains("Answer:MaxAdapterBytes is 1000", ex.Message);
        Assert.Contains(Path.GetFullPath(_folders[0]), ex.Message);
        Assert.Empty(cache.Resident);
    }

    [Fact]
    public void An_evicted_adapter_serves_the_answer_that_holds_it_and_is_freed_after()
    {
        using var cache = new AdapterCache(_shared, maxAdapters: 1);
        using var ids = TinyModels.Ids(TinyModels.Micro.VocabSize, 6);
        var lease = cache.Acquire(_folders[0]);
        Tensor before;
        using (_shared.Use(lease.Adapter))
        using (no_grad())
            before = _shared.Model.call(ids);

        Touch(cache, 1);                                 // evicts 0 while the lease holds it
        Assert.Equal(Names(1), cache.Resident);
        Assert.False(lease.Adapter.IsDisposed);
        using (_shared.Use(lease.Adapter))
        using (no_grad())
        using (var after = _shared.Model.call(ids))
            Assert.Equal(0f, (before - after).abs().max().item<float>());
        lease.Dispose();
        Assert.True(lease.Adapter.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => _shared.Use(lease.Adapter));
        before.Dispose();
    }

    [Fact]
    public async Task Concurrent_first_uses_load_an_adapter_once()
    {
        using var cache = new AdapterCache(_shared, maxAdapters: 4);
        using var start = new Barrier(8);
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(() =>
        {
            Assert.True(start.SignalAndWait(TimeSpan.FromMinutes(5)), "8 threads did not all start within 5 minutes");
            return cache.Acquire(_folders[3]);
        }, TaskCreationOptions.LongRunning)).ToArray();
        var leases = (await Task.WhenAll(tasks)).ToList();
        Assert.Single(leases.Select(l => l.Adapter).Distinct());
        Assert.Equal(1, cache.LoadsOf(_folders[3]));
        leases.ForEach(l => l.Dispose());
    }

    [Fact]
    public void A_failed_load_is_forgotten_and_tried_again()
    {
        using var cache = new AdapterCache(_shared, maxAdapters: 2);
        var missing = _dir["later"];
        Directory.CreateDirectory(missing);
        Assert.Throws<FileNotFoundException>(() => cache.Acquire(missing));
        Assert.Empty(cache.Resident);
        foreach (var file in Directory.GetFiles(_folders[2]))
            File.Copy(file, Path.Combine(missing, Path.GetFileName(file)));
        cache.Acquire(missing).Dispose();
        Assert.Equal([Path.GetFullPath(missing)], cache.Resident);
    }
}
