using System.Globalization;
using Pastanoodles.Cluster;

namespace Pastanoodles.Client.Commands;

/// <summary>How `ask` prints an answer, local or from the cluster: the letter, every option's log-likelihood in letter order,
/// the shards that did not answer, the sources, and what answered.</summary>
static class AnswerOutput
{
    public static async Task WriteAsync(TextWriter output, AnswerResult answer)
    {
        await output.WriteLineAsync($"answer: {answer.Letter}");
        await output.WriteLineAsync("log-likelihoods: " + string.Join("  ", answer.LogLikelihoods.OrderBy(p => p.Key).Select(p =>
            string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F4}"))));
        await WarnFailedAsync(output, answer.FailedShards);
        await output.WriteLineAsync(answer.Sources.Count == 0 ? "sources: none (no chunk matched; the model answered without context)" : "sources:");
        for (var i = 0; i < answer.Sources.Count; i++)
        {
            var hit = answer.Sources[i];
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{i + 1,3}  {hit.Score,8:F4}  {hit.Source}  page {hit.Page}  start {hit.Start}"));
        }
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"model: {answer.Model}; prompt {answer.PromptTokens} tokens{(answer.Truncated ? " (beginning cut to fit the context)" : "")}; " +
            $"retrieval {answer.RetrievalMs:F0} ms, model {answer.ModelMs:F0} ms{(answer.Silo.Length == 0 ? "" : $"; silo {answer.Silo}")}"));
    }

    public static async Task WarnFailedAsync(TextWriter output, IReadOnlyList<int> failed)
    {
        if (failed.Count > 0)
            await output.WriteLineAsync($"warning: shard(s) {string.Join(", ", failed)} did not answer; their chunks are missing from the results");
    }
}
