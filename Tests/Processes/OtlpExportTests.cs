using System.Net;
using System.Text;
using Pastanoodles.Tests.Support;
using Pastanoodles.Client;

namespace Pastanoodles.Tests.Processes;

/// <summary>A real silo process with <c>--otlp</c> set sends its metrics over OTLP/HTTP to a receiver in the test.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task A_silo_with_an_otlp_endpoint_sends_orleans_and_runtime_metrics_with_its_service_name()
    {
        var port = FreePorts.Next();
        using var receiver = new HttpListener();
        receiver.Prefixes.Add($"http://127.0.0.1:{port}/v1/metrics/");
        receiver.Start();
        var requests = new List<(string? ContentType, string Body)>();
        var wanted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (receiver.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await receiver.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;   // the test is over
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                // OTLP/HTTP protobuf: names and string attributes are raw UTF-8 inside the message, so a substring search finds them.
                var request = (context.Request.ContentType, Encoding.UTF8.GetString(body.ToArray()));
                lock (requests)
                    requests.Add(request);
                context.Response.StatusCode = 200;
                context.Response.Close();
                if (request.Item2.Contains("orleans-catalog-activations") && request.Item2.Contains("dotnet.process.cpu.time"))
                    wanted.TrySetResult();
            }
        });

        using var data = new TempDir();
        await using var silo = await SiloProcess.StartAsync(data.Path, ["--Silo:DashboardUrl=", "--otlp", $"http://127.0.0.1:{port}/v1/metrics",
            "--Telemetry:OtlpProtocol=http/protobuf", "--Telemetry:ExportInterval=00:00:01"]);
        await wanted.Task.Within("an OTLP request with Orleans' and .NET's metrics", () =>
        {
            lock (requests)
                return $"{requests.Count} request(s) received; silo log:\n{silo.Log}";
        }, TimeSpan.FromSeconds(60));

        var (contentType, text) = requests.First(r => r.Body.Contains("orleans-catalog-activations"));
        Assert.Equal("application/x-protobuf", contentType);
        Assert.Contains("pastanoodles-silo", text);       // service.name
        Assert.Contains("pastanoodles.role", text);       // and the silo's role as resource attributes
        Assert.Contains("Microsoft.Orleans", text);       // the meter, as the instrumentation scope
        receiver.Stop();
    }
}
