using Pastanoodles.Answering;

namespace Pastanoodles.Tests.Answering;

public class RagPromptTests
{
    [Fact]
    public void Prompt_is_the_seed_prompt_word_for_word()
    {
        var prompt = RagPrompt.Render("Photons are quanta of light.", "What is a photon? A. A quantum of light B. A sound wave");
        Assert.Equal(
            "Considering this context: Photons are quanta of light. Answer the following question: What is a photon? A. A quantum of light B. A sound wave Output one letter only corresponding to the correct answer.",
            prompt);
    }

    [Fact]
    public void Chunks_are_trimmed_and_joined_best_first_by_a_blank_line()
    {
        var prompt = RagPrompt.Render(["  first chunk\n", "second chunk"], "Q? A. x B. y");
        Assert.StartsWith("Considering this context: first chunk\n\nsecond chunk Answer the following question: Q? A. x B. y Output", prompt);
    }

    [Fact]
    public void No_chunks_leave_an_empty_context()
    {
        Assert.StartsWith("Considering this context:  Answer the following question: ", RagPrompt.Render([], "Q? A. x B. y"));
    }
}
