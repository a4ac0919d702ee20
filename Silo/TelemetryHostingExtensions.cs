using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Pastanoodles.Cluster;

namespace Pastanoodles.Silo;

/// <summary>Exports the silo's metrics over OTLP when <see cref="TelemetryOptions.OtlpEndpoint"/> is set.</summary>
public static class TelemetryHostingExtensions
{
    /// <summary>The meters a silo exports: Orleans' own (messaging, activations, requests), .NET's runtime meter (process CPU time,
    /// memory, GC) and <see cref="PastanoodlesMetrics"/>.</summary>
    public static readonly IReadOnlyList<string> Meters = ["Microsoft.Orleans", "System.Runtime", PastanoodlesMetrics.MeterName];

    /// <summary>Adds every meter of <see cref="Meters"/> to <paramref name="metrics"/>. The tests call this too, with an in-memory exporter.</summary>
    public static MeterProviderBuilder AddPastanoodlesMeters(this MeterProviderBuilder metrics) => metrics.AddMeter([.. Meters]);

    /// <summary>Reads and validates <see cref="TelemetryOptions"/> (failing fast with every problem listed); with an endpoint set,
    /// adds OpenTelemetry metrics with an OTLP exporter. With none, adds nothing.</summary>
    public static WebApplicationBuilder AddPastanoodlesTelemetry(this WebApplicationBuilder builder, ResolvedSilo silo)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var validation = new TelemetryOptionsValidator().Validate(null, options);
        if (validation.Failed)
            throw new OptionsValidationException(TelemetryOptions.Section, typeof(TelemetryOptions), validation.Failures);
        builder.Services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateOnStart();
        if (!options.Enabled)
            return builder;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName).AddAttributes([new("pastanoodles.role", silo.Role)]))
            .WithMetrics(metrics => metrics.AddPastanoodlesMeters().AddOtlpExporter((exporter, reader) =>
            {
                exporter.Endpoint = new Uri(options.OtlpEndpoint);
                exporter.Protocol = options.OtlpProtocol == TelemetryOptions.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.ExportInterval.TotalMilliseconds;
            }));
        return builder;
    }
}
