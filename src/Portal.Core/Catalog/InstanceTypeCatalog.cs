using System.Text.Json;

namespace Portal.Core.Catalog;

/// <summary>What kind of accelerator an instance type has; it decides a node pool's AMI type.</summary>
public enum AcceleratorKind
{
    None = 0,
    /// <summary>NVIDIA GPUs: the NVIDIA AMI and the nvidia.com/gpu taint.</summary>
    NvidiaGpu = 1,
    /// <summary>AWS Inferentia/Trainium: the Neuron AMI.</summary>
    Neuron = 2,
}

/// <summary>One EC2 instance type as the node pool editor shows it.</summary>
/// <param name="OnDemandHourlyUsd">
/// On-demand Linux price per hour in <see cref="InstanceTypeCatalog.PriceRegion"/> (us-east-1): the only region the
/// source publishes. Other regions differ by a few percent; the UI labels the figure with its region.
/// </param>
public sealed record InstanceType(
    string Name,
    string Family,
    int VCpu,
    int MemoryMiB,
    int GpuCount,
    string? GpuModel,
    string? GpuManufacturer,
    int? GpuMemoryMiB,
    int AcceleratorCount,
    string? AcceleratorName,
    string Architecture,
    decimal? OnDemandHourlyUsd)
{
    public bool IsGpu => GpuCount > 0;

    public AcceleratorKind Accelerator =>
        IsGpu ? AcceleratorKind.NvidiaGpu : AcceleratorCount > 0 ? AcceleratorKind.Neuron : AcceleratorKind.None;

    public double MemoryGiB => MemoryMiB / 1024.0;
}

/// <summary>
/// The EC2 instance types node pools may use, loaded once from <c>ec2-instance-types.json</c> embedded in this
/// assembly (a byte-for-byte copy of <c>../shared/specs/aws/ec2-instance-types.json</c>, derived from Karpenter's
/// generated tables; a test keeps the copy in step). Types the file lists with a price but no specs
/// (its <c>priceOnly</c> section) are not offered: a pool needs to know what it gets.
/// </summary>
public sealed class InstanceTypeCatalog
{
    public const string ResourceName = "Portal.Core.Catalog.ec2-instance-types.json";

    /// <summary>The region the hourly prices are for.</summary>
    public const string PriceRegion = "us-east-1";

    private readonly Dictionary<string, InstanceType> _byName;

    public InstanceTypeCatalog() : this(LoadEmbedded()) { }

    public InstanceTypeCatalog(IEnumerable<InstanceType> types)
    {
        All = types.OrderBy(t => t.Family, StringComparer.Ordinal).ThenBy(t => t.VCpu).ThenBy(t => t.MemoryMiB).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
        _byName = All.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Every type, for the picker: by family, then size.</summary>
    public IReadOnlyList<InstanceType> All { get; }

    public IReadOnlyList<InstanceType> Gpu => All.Where(t => t.IsGpu).ToList();

    public IEnumerable<string> Families => All.Select(t => t.Family).Distinct();

    /// <summary>Exact, case-sensitive: EC2 names are lower case and "M5.Large" is not one.</summary>
    public InstanceType? Find(string name) => _byName.GetValueOrDefault(name);

    public bool Contains(string name) => _byName.ContainsKey(name);

    public static IReadOnlyList<InstanceType> LoadEmbedded()
    {
        using var stream = typeof(InstanceTypeCatalog).Assembly.GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from Portal.Core.");
        return Parse(stream);
    }

    public static IReadOnlyList<InstanceType> Parse(Stream json)
    {
        using var document = JsonDocument.Parse(json);
        var list = new List<InstanceType>();
        foreach (var item in document.RootElement.GetProperty("instanceTypes").EnumerateArray())
        {
            decimal? price = item.TryGetProperty("onDemandHourlyUSD", out var prices) && prices.ValueKind == JsonValueKind.Object
                             && prices.TryGetProperty(PriceRegion, out var p) && p.ValueKind == JsonValueKind.Number
                ? p.GetDecimal()
                : null;
            list.Add(new InstanceType(
                Name: item.GetProperty("instanceType").GetString()!,
                Family: item.GetProperty("family").GetString()!,
                VCpu: item.GetProperty("vcpu").GetInt32(),
                MemoryMiB: item.GetProperty("memoryMiB").GetInt32(),
                GpuCount: IntOrNull(item, "gpuCount") ?? 0,
                GpuModel: StringOrNull(item, "gpuName"),
                GpuManufacturer: StringOrNull(item, "gpuManufacturer"),
                GpuMemoryMiB: IntOrNull(item, "gpuMemoryMiB"),
                AcceleratorCount: IntOrNull(item, "acceleratorCount") ?? 0,
                AcceleratorName: StringOrNull(item, "acceleratorName"),
                Architecture: item.GetProperty("arch").GetString()!,
                OnDemandHourlyUsd: price));
        }
        return list;
    }

    private static int? IntOrNull(JsonElement item, string name) =>
        item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static string? StringOrNull(JsonElement item, string name) =>
        item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
