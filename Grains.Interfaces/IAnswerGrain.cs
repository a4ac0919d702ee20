namespace Pastanoodles.Cluster;

/// <summary>Answers a multiple-choice question with one letter, optionally over retrieved course chunks; a stateless worker (key 0).</summary>
[Alias("pastanoodles.IAnswerGrain")]
public interface IAnswerGrain : IGrainWithIntegerKey
{
    [Alias("Ask")]
    Task<AnswerResult> AskAsync(AnswerRequest request);
}

/// <summary>A question to answer.</summary>
/// <param name="Question">The question text.</param>
/// <param name="Choices">The options, in letter order (A, B, C, ...).</param>
/// <param name="ExperimentId">The run whose best adapter answers; null: the base model.</param>
/// <param name="UseRetrieval">Put the retrieved chunks into the prompt.</param>
/// <param name="TopK">How many chunks go into the prompt.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.AnswerRequest")]
public sealed record AnswerRequest(
    [property: Id(0)] string Question,
    [property: Id(1)] IReadOnlyList<string> Choices,
    [property: Id(2)] string? ExperimentId = null,
    [property: Id(3)] bool UseRetrieval = true,
    [property: Id(4)] int TopK = 4);

/// <summary>The answer, what it was based on and how long each part took.</summary>
/// <param name="Letter">The chosen letter.</param>
/// <param name="Sources">The chunks in the prompt, best first.</param>
/// <param name="RetrievalTime">Fan-out search and merge.</param>
/// <param name="RerankTime">Dense re-ranking.</param>
/// <param name="ModelTime">Scoring the letters with the model.</param>
[GenerateSerializer, Immutable, Alias("pastanoodles.AnswerResult")]
public sealed record AnswerResult(
    [property: Id(0)] string Letter,
    [property: Id(1)] IReadOnlyList<SearchHit> Sources,
    [property: Id(2)] TimeSpan RetrievalTime,
    [property: Id(3)] TimeSpan RerankTime,
    [property: Id(4)] TimeSpan ModelTime);
