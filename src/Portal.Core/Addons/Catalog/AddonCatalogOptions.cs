using System.ComponentModel.DataAnnotations;

namespace Portal.Core.Addons.Catalog;

/// <summary>Where the add-on catalogue is read from (section <c>Addons</c>).</summary>
public sealed class AddonCatalogOptions
{
    public const string SectionName = "Addons";

    /// <summary>The folder of <c>&lt;id&gt;.yaml</c> files; by default the <c>catalog</c> folder shipped beside the app.</summary>
    [Required]
    public string CatalogPath { get; set; } = AddonCatalog.DefaultDirectory;
}
