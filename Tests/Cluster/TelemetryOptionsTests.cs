using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Pastanoodles.Silo;
using Pastanoodles.Tests.Support;

namespace Pastanoodles.Tests.Cluster;

public sealed class TelemetryOptionsTests
{
    static TelemetryOptions Bind(params string[] args) =>
        new ConfigurationBuilder().AddCommandLine(args, SiloOptions.SwitchMappings).Build()
            .GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

    static IEnumerable<string> Failures(TelemetryOptions options) => new TelemetryOptionsValidator().Validate(null, options).Failures ?? [];

    [Fact]
    public void Defaults_are_valid_off_and_match_the_docs()
    {
        var options = new TelemetryOptions();

        Assert.Empty(Failures(options));
        Assert.False(options.Enabled);
        Assert.Equal(("", "grpc", TimeSpan.FromSeconds(15), "pastanoodles-silo"), (options.OtlpEndpoint, options.OtlpProtocol, options.ExportInterval, options.ServiceName));
    }

    [Fact]
    public void The_otlp_switch_sets_the_endpoint()
    {
        var options = Bind("--otlp", "http://collector:4317");

        Assert.Equal("http://collector:4317", options.OtlpEndpoint);
        Assert.True(options.Enabled);
        Assert.Empty(Failures(options));
    }

    [Theory]
    [InlineData("--otlp", "collector:4317", "Telemetry:OtlpEndpoint is 'collector:4317'. It must be an absolute http or https URL")]
    [InlineData("--Telemetry:OtlpProtocol", "udp", "Telemetry:OtlpProtocol is 'udp'. It must be one of: grpc, http/protobuf.")]
    [InlineData("--Telemetry:ExportInterval", "00:00:00", "Telemetry:ExportInterval is 00:00:00. It must be greater than 0")]
    [InlineData("--Telemetry:ServiceName", " ", "Telemetry:ServiceName is empty.")]
    public void Bad_settings_are_named_with_their_value_and_rule(string option, string value, string expected)
    {
        Assert.Contains(Failures(Bind(option, value)), f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Http_protobuf_needs_the_full_metrics_url()
    {
        Assert.Equal(["Telemetry:OtlpEndpoint is 'http://collector:4318', with Telemetry:OtlpProtocol http/protobuf. It must be the full metrics URL, ending in /v1/metrics (e.g. http://otel-collector:4318/v1/metrics)."],
            Failures(Bind("--otlp", "http://collector:4318", "--Telemetry:OtlpProtocol", "http/protobuf")));
        Assert.Empty(Failures(Bind("--otlp", "http://collector:4318/v1/metrics", "--Telemetry:OtlpProtocol", "http/protobuf")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_silo_exports_metrics_only_with_an_endpoint(bool withEndpoint)
    {
        using var data = new TempDir();
        string[] args = ["--data", data.Path, "--Silo:DashboardUrl=", .. withEndpoint ? new[] { "--otlp", "http://127.0.0.1:4317" } : []];
        var builder = WebApplication.CreateBuilder();
        builder.AddPastanoodlesSilo(args);
        using var app = builder.Build();

        Assert.Equal(withEndpoint, app.Services.GetService<MeterProvider>() is not null);
        Assert.Equal(withEndpoint, app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Enabled);
    }

    [Fact]
    public void A_bad_telemetry_setting_stops_the_silo_before_it_starts()
    {
        var builder = WebApplication.CreateBuilder();

        var error = Assert.Throws<OptionsValidationException>(() => builder.AddPastanoodlesSilo(["--otlp", "localhost"]));
        Assert.Contains("Telemetry:OtlpEndpoint is 'localhost'.", error.Message);
    }
}
