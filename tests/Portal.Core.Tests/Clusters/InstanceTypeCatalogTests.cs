using System.Runtime.CompilerServices;
using Portal.Core.Catalog;

namespace Portal.Core.Tests.Clusters;

public sealed class InstanceTypeCatalogTests
{
    private static readonly InstanceTypeCatalog Catalog = new();

    [Fact]
    public void EmbeddedCopy_EqualsTheSharedSpecByteForByte()
    {
        var shared = FindShared();
        if (shared is null) return; // production-like checkouts have no ../shared; the copy is what ships
        using var stream = typeof(InstanceTypeCatalog).Assembly.GetManifestResourceStream(InstanceTypeCatalog.ResourceName)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        Assert.True(File.ReadAllBytes(shared).AsSpan().SequenceEqual(copy.ToArray()),
            $"src/Portal.Core/Catalog/ec2-instance-types.json differs from {shared}: copy the spec again.");
    }

    [Fact]
    public void Catalogue_ListsEveryInstanceTypeWithSpecs()
    {
        Assert.Equal(114, Catalog.All.Count);
        Assert.Equal(Catalog.All.Count, Catalog.All.Select(t => t.Name).Distinct().Count());
        Assert.All(Catalog.All, t => Assert.True(t.VCpu > 0 && t.MemoryMiB > 0 && t.OnDemandHourlyUsd > 0, t.Name));
        // p3 has a price but no specs in the source: it is not offered.
        Assert.Null(Catalog.Find("p3.2xlarge"));
    }

    [Fact]
    public void GpuType_HasModelMemoryAndPrice()
    {
        var g5 = Catalog.Find("g5.xlarge")!;

        Assert.True(g5.IsGpu);
        Assert.Equal(AcceleratorKind.NvidiaGpu, g5.Accelerator);
        Assert.Equal((4, 16384, 1, "a10g", 22888, "amd64", 1.006m, "g5"),
            (g5.VCpu, g5.MemoryMiB, g5.GpuCount, g5.GpuModel, g5.GpuMemoryMiB, g5.Architecture, g5.OnDemandHourlyUsd, g5.Family));
        Assert.Equal("us-east-1", InstanceTypeCatalog.PriceRegion);
    }

    [Fact]
    public void CpuAndInferentiaTypes_AreNotGpus()
    {
        var m5 = Catalog.Find("m5.large")!;
        Assert.False(m5.IsGpu);
        Assert.Equal(AcceleratorKind.None, m5.Accelerator);
        var inf2 = Catalog.All.First(t => t.Family == "inf2");
        Assert.False(inf2.IsGpu);
        Assert.Equal(AcceleratorKind.Neuron, inf2.Accelerator);
        Assert.Null(Catalog.Find("M5.Large"));
        Assert.Contains(Catalog.Gpu, t => t.Family == "p5");
        Assert.DoesNotContain(Catalog.Gpu, t => !t.IsGpu);
    }

    /// <summary>../shared/specs/aws beside the repository this file was compiled from (where ARCHITECTURE.md puts it).</summary>
    private static string? FindShared([CallerFilePath] string source = "")
    {
        for (var dir = new FileInfo(source).Directory; dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Unicron.Portal.sln"))) continue;
            var candidate = Path.Combine(dir.FullName, "..", "shared", "specs", "aws", "ec2-instance-types.json");
            return File.Exists(candidate) ? Path.GetFullPath(candidate) : null;
        }
        return null;
    }
}
