namespace Pastanoodles.Cluster;

/// <summary>Searches the cluster's shards and answers multiple-choice questions with one letter; a stateless worker (key 0).</summary>
[Alias("pastanoodles.IAnswerGrain")]
public interface IAnswerGrain : IGrainWithIntegerKey
{
    /// <summary>The top <paramref name="k"/> chunks over every shard (collection-wide BM25, merged).</summary>
    [Alias("Search")]
    Task<SearchResult> SearchAsync(string query, int k);

    /// <summary>The top chunks by the request's retriever (BM25, or dense over the shards' stored vectors), optionally re-ranked.</summary>
    [Alias("SearchWith")]
    Task<SearchResult> SearchAsync(SearchRequest request);

    [Alias("Ask")]
    Task<AnswerResult> AskAsync(AnswerRequest request);
}

/// <summary>Hits of a cluster search, best first, and the shards that did not answer (their chunks are missing from the hits).</summary>
[GenerateSerializer, Immutable, Alias("pastanoodles.SearchResult")]
public sealed record SearchResult(
    [property: Id(0)] IReadOnlyList<SearchHit> Hits,
    [property: Id(1)] IReadOnlyList<int> FailedShards);

/// <summary>A question to answer.</summary>
/// <param name="Question">The question with its options in the text ("A. …", as `ask` takes it).</param>
/// <param name="ExperimentId">The completed run whose final adapter answers; null: the base model.</param>
/// <param name="UseRetrieval">Put the retrieved chunks into the prompt; false gives an empty context.</param>
/// <param name="TopK">How many chunks go into the prompt.</param>
/// <param name="Retrieval">How the chunks are found (<see cref="SearchRequest"/>'s retriever and re-rank; its query and k are the
/// question's text and <paramref name="TopK"/>); null: BM25.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.AnswerRequest")]
public sealed record AnswerRequest(
    [property: Id(0)] string Question,
    [property: Id(1)] string? ExperimentId = null,
    [property: Id(2)] bool UseRetrieval = true,
    [property: Id(3)] int TopK = 3,
    [property: Id(4)] SearchRequest? Retrieval = null);

/// <summary>The answer, what it was based on and how long each part took.</summary>
/// <param name="Letter">The chosen letter.</param>
/// <param name="LogLikelihoods">Every option letter's log-likelihood after the prompt.</param>
/// <param name="Sources">The chunks in the prompt, best first.</param>
/// <param name="FailedShards">Shards that did not answer the search.</param>
/// <param name="Model">What answered: base model, quantization and adapter.</param>
/// <param name="PromptTokens">Length of the prompt given to the model.</param>
/// <param name="RetrievalMs">Fan-out search and merge.</param>
/// <param name="ModelMs">Building the prompt and scoring the letters.</param>
/// <param name="Silo">The silo that answered; empty when answered in this process (a local index).</param>
/// <param name="Truncated">The prompt was longer than the model's context and its beginning was cut.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.AnswerResult")]
public sealed record AnswerResult(
    [property: Id(0)] char Letter,
    [property: Id(1)] IReadOnlyDictionary<char, double> LogLikelihoods,
    [property: Id(2)] IReadOnlyList<SearchHit> Sources,
    [property: Id(3)] IReadOnlyList<int> FailedShards,
    [property: Id(4)] string Model,
    [property: Id(5)] int PromptTokens,
    [property: Id(6)] double RetrievalMs,
    [property: Id(7)] double ModelMs,
    [property: Id(8)] string Silo,
    [property: Id(9)] bool Truncated = false);
