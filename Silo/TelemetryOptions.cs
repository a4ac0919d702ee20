namespace Pastanoodles.Silo;

/// <summary>Metrics export, bound from the <c>Telemetry</c> section (appsettings.json, <c>Telemetry__OtlpEndpoint</c> environment
/// variables, or <c>--otlp</c> on the command line). Off unless <see cref="OtlpEndpoint"/> is set.</summary>
/// <remarks>What is exported: README, Monitoring (Orleans' <c>Microsoft.Orleans</c> meter, .NET's <c>System.Runtime</c> meter and
/// Pastanoodles' own <c>Pastanoodles</c> meter).</remarks>
public sealed class TelemetryOptions
{
    /// <summary>The telemetry configuration section.</summary>
    public const string Section = "Telemetry";

    /// <summary>Where metrics go over OTLP, e.g. <c>http://otel-collector:4317</c> (gRPC), or the full
    /// <c>http://otel-collector:4318/v1/metrics</c> with <see cref="OtlpProtocol"/> <c>http/protobuf</c>. Empty: no export. Default: empty.</summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary><c>grpc</c> or <c>http/protobuf</c> (the values of <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>). Default: <c>grpc</c>.</summary>
    public string OtlpProtocol { get; set; } = Grpc;

    /// <summary>How often the silo sends its metrics. Default: 15 s (OpenTelemetry's own default is 60 s).</summary>
    public TimeSpan ExportInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The <c>service.name</c> resource attribute every silo's metrics carry. Default: <c>pastanoodles-silo</c>.</summary>
    public string ServiceName { get; set; } = "pastanoodles-silo";

    /// <summary>The <see cref="OtlpProtocol"/> values.</summary>
    public const string Grpc = "grpc", HttpProtobuf = "http/protobuf";

    /// <summary>True when metrics are exported.</summary>
    public bool Enabled => OtlpEndpoint.Length > 0;
}
