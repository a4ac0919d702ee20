using Pastanoodles.Answering;
using Pastanoodles.Retrieval;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Answering;

/// <summary>The repo's sample corpus ingested into a temporary index once, and the built-in tiny model in NF4.</summary>
public sealed class SampleCorpusFixture : IDisposable
{
    public static string Samples => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "samples"));

    public TempDir Dir { get; } = new();
    public CorpusEngine Engine { get; }
    public LoadedModel Model { get; } = LoadedModel.Load("tiny");

    public SampleCorpusFixture()
    {
        Engine = CorpusEngine.Open(Dir["index"], new CorpusOptions { Shards = 2 });
        Engine.IngestDirectory(Path.Combine(Samples, "corpus"));
    }

    public void Dispose()
    {
        Model.Dispose();
        Engine.Dispose();
        Dir.Dispose();
    }
}

public sealed class AnswerPipelineTests(SampleCorpusFixture fixture) : IClassFixture<SampleCorpusFixture>
{
    const string Question = "What is it called when two different keys are placed in the same bucket of a hash table? A. A rehash B. A collision C. A probe D. A digest";

    [Fact]
    public void Answers_with_one_of_the_letters_from_the_retrieved_sources()
    {
        var answer = new AnswerPipeline(fixture.Engine, fixture.Model, k: 3).Answer(Question);

        Assert.Contains(answer.Letter, "ABCD");
        Assert.Equal(['A', 'B', 'C', 'D'], answer.LogLikelihoods.Keys.Order());
        Assert.Equal(3, answer.Sources.Count);
        Assert.Equal("cs/hash-tables.pdf", answer.Sources[0].Source);
        Assert.All(answer.Sources, hit =>
        {
            Assert.EndsWith(".pdf", hit.Source);
            Assert.InRange(hit.Page, 0, 100);
            Assert.True(hit.Start >= 0);
            Assert.True(hit.Score > 0);
        });
        Assert.True(answer.RetrievalMs > 0 && answer.ModelMs > 0);
        Assert.False(answer.Truncated);
    }

    [Fact]
    public void The_model_sees_the_seed_prompt_with_the_retrieved_chunks()
    {
        var answer = new AnswerPipeline(fixture.Engine, fixture.Model, k: 2).Answer(Question);
        var prompt = fixture.Model.Tokenizer.Encode(RagPrompt.Render(answer.Sources.Select(h => h.Text), Question));
        var expected = LetterScorer.Choose(fixture.Model.Model, fixture.Model.Tokenizer, prompt, ['A', 'B', 'C', 'D']);

        Assert.Equal(prompt.Length, answer.PromptTokens);
        Assert.Equal(expected.Letter, answer.Letter);
        Assert.Equal(expected.LogLikelihoods, answer.LogLikelihoods);
    }

    [Fact]
    public void Concurrent_answers_equal_the_sequential_one()
    {
        var pipeline = new AnswerPipeline(fixture.Engine, fixture.Model);
        var sequential = pipeline.Answer(Question);
        var parallel = new RagAnswer[4];
        Parallel.For(0, parallel.Length, i => parallel[i] = pipeline.Answer(Question));
        Assert.All(parallel, a =>
        {
            Assert.Equal(sequential.Letter, a.Letter);
            Assert.Equal(sequential.LogLikelihoods, a.LogLikelihoods);
            Assert.Equal(sequential.Sources.Select(s => s.ChunkId), a.Sources.Select(s => s.ChunkId));
        });
    }

    [Fact]
    public void A_question_without_options_is_refused_before_retrieval()
    {
        var ex = Assert.Throws<ArgumentException>(() => new AnswerPipeline(fixture.Engine, fixture.Model).Answer("What is a hash collision?"));
        Assert.Contains("has no options", ex.Message);
    }

    [Fact]
    public void Missing_model_or_adapter_folders_are_named()
    {
        Assert.Contains("Adapter folder '/nonexistent/adapter' does not exist",
            Assert.Throws<DirectoryNotFoundException>(() => LoadedModel.Load("tiny", "/nonexistent/adapter")).Message);
        Assert.Contains("Model folder '/nonexistent/phi' does not exist",
            Assert.Throws<DirectoryNotFoundException>(() => LoadedModel.Load("/nonexistent/phi")).Message);
    }
}
