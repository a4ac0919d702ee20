using Microsoft.Extensions.Options;

namespace Pastanoodles.Silo;

/// <summary>Checks <see cref="TelemetryOptions"/> at startup; each failure names the setting, its value and the rule.</summary>
public sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var failures = new List<string>();
        const string S = TelemetryOptions.Section;
        if (options.OtlpProtocol is not (TelemetryOptions.Grpc or TelemetryOptions.HttpProtobuf))
            failures.Add($"{S}:OtlpProtocol is '{options.OtlpProtocol}'. It must be one of: {TelemetryOptions.Grpc}, {TelemetryOptions.HttpProtobuf}.");
        if (options.Enabled)
        {
            if (!Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
                failures.Add($"{S}:OtlpEndpoint is '{options.OtlpEndpoint}'. It must be an absolute http or https URL such as http://otel-collector:4317, " +
                    "or empty to export nothing.");
            else if (options.OtlpProtocol == TelemetryOptions.HttpProtobuf && !endpoint.AbsolutePath.EndsWith("/v1/metrics", StringComparison.Ordinal))
                failures.Add($"{S}:OtlpEndpoint is '{options.OtlpEndpoint}', with {S}:OtlpProtocol {TelemetryOptions.HttpProtobuf}. " +
                    "It must be the full metrics URL, ending in /v1/metrics (e.g. http://otel-collector:4318/v1/metrics).");
        }
        if (options.ExportInterval <= TimeSpan.Zero)
            failures.Add($"{S}:ExportInterval is {options.ExportInterval}. It must be greater than 0 (a time span such as 00:00:15).");
        if (string.IsNullOrWhiteSpace(options.ServiceName))
            failures.Add($"{S}:ServiceName is empty. Leave it unset for pastanoodles-silo, or name the service.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
