using System.Globalization;
using Portal.Core.Catalog;
using Portal.Core.Endpoints.Spec;

namespace Portal.Web.Components.Shared.Endpoints;

/// <summary>How endpoint values read on screen: the API's kebab-case words, and the GPU facts people compare.</summary>
public static class EndpointLabels
{
    public static string Of(EndpointRuntime runtime) => runtime switch
    {
        EndpointRuntime.TensorflowServing => "tensorflow-serving",
        EndpointRuntime.Triton => "triton",
        _ => "custom",
    };

    public static string Title(EndpointRuntime runtime) => runtime switch
    {
        EndpointRuntime.TensorflowServing => "TensorFlow Serving",
        EndpointRuntime.Triton => "NVIDIA Triton",
        _ => "Custom server",
    };

    public static string Of(EndpointProtocol protocol) => protocol switch
    {
        EndpointProtocol.Grpc => "grpc",
        EndpointProtocol.Http => "http",
        _ => "both",
    };

    public static string Title(EndpointProtocol protocol) => protocol switch
    {
        EndpointProtocol.Grpc => "gRPC",
        EndpointProtocol.Http => "HTTP",
        _ => "gRPC and HTTP",
    };

    public static string Of(ScalingTriggerKind kind) => kind switch
    {
        ScalingTriggerKind.Prometheus => "prometheus",
        ScalingTriggerKind.Cpu => "cpu",
        _ => "gpu-utilization",
    };

    public static string Title(ScalingTriggerKind kind) => kind switch
    {
        ScalingTriggerKind.Prometheus => "Prometheus query",
        ScalingTriggerKind.Cpu => "CPU utilisation",
        _ => "GPU utilisation",
    };

    /// <summary>"24 GiB" from the catalogue's MiB.</summary>
    public static string GpuMemory(GpuType type) =>
        (type.MemoryMiB / 1024.0).ToString(type.MemoryMiB % 1024 == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + " GiB";

    /// <summary>"1, 4 or 8": the GPUs per instance its instance types offer.</summary>
    public static string GpusPerInstance(GpuType type)
    {
        var counts = type.InstanceTypes.Select(t => t.GpuCount).Distinct().Order().Select(c => c.ToString(CultureInfo.InvariantCulture)).ToList();
        return counts.Count == 1 ? counts[0] : string.Join(", ", counts[..^1]) + " or " + counts[^1];
    }

    /// <summary>The cheapest instance type's hourly price: what one replica costs at least.</summary>
    public static string PriceFrom(GpuType type) =>
        type.InstanceTypes.Where(t => t.OnDemandHourlyUsd is not null).MinBy(t => t.OnDemandHourlyUsd) is { } cheapest
            ? $"from {Usd(cheapest.OnDemandHourlyUsd!.Value)}/h ({cheapest.Name})"
            : "no price";

    public static string Usd(decimal usd) => "$" + usd.ToString("0.####", CultureInfo.InvariantCulture);

    public static string Price(InstanceType type) => type.OnDemandHourlyUsd is { } usd ? Usd(usd) + "/h" : "no price";
}
