using Pastanoodles.Training.Data;

namespace Pastanoodles.Tests.Training.Data;

public class PromptTemplateTests : IDisposable
{
    readonly DataFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void A_template_file_overrides_the_keys_it_names_and_keeps_phi_defaults_for_the_rest()
    {
        var path = _files.WriteLines("t.json", """{"user": "Q: {content}\n", "generation": "A:", "apply_to_flat": true}""");

        var template = PromptTemplate.Resolve(path);

        Assert.Equal("Q: hi\nA:", template.RenderPrompt([new("user", "hi")]));
        Assert.Equal(" yes", template.RenderCompletion([new("assistant", "yes")]));
        Assert.True(template.ApplyToFlat);
    }

    [Fact]
    public void An_unknown_key_in_a_template_file_is_an_error_naming_it()
    {
        var path = _files.WriteLines("t.json", """{"usr": "Q: {content}\n"}""");

        var error = Assert.Throws<ArgumentException>(() => PromptTemplate.Resolve(path));

        Assert.Contains("usr", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Unknown_roles_render_with_their_role_name()
    {
        Assert.Equal("tool: 42\n", PromptTemplate.Phi.RenderTurn(new("tool", "42")));
    }

    [Fact]
    public void A_completion_of_several_messages_renders_the_rest_as_turns()
    {
        Assert.Equal(" Sure.Instruct: thanks\n", PromptTemplate.Phi.RenderCompletion([new("assistant", "Sure."), new("user", "thanks")]));
    }
}
