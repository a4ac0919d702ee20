using Pastanoodles.Retrieval.Rerank;

namespace Pastanoodles.Retrieval;

/// <summary>The seed's dense retriever, as a local search takes it: the encoder whose stored vectors it scores, and by which metric
/// (<see cref="CorpusEngine.DenseSearch"/>).</summary>
public sealed record DenseRetriever(IDenseEncoder Encoder, DenseMetric Metric = DenseMetric.Cosine);
