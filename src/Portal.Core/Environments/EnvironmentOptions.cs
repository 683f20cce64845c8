namespace Portal.Core.Environments;

/// <summary>Section <c>Environments</c>: where teams may put their environments.</summary>
public sealed class EnvironmentOptions
{
    public const string SectionName = "Environments";

    public static readonly IReadOnlyList<string> DefaultRegions =
        ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-north-1", "ap-southeast-1"];

    /// <summary>
    /// AWS regions the platform supports (clusters, add-on mirrors and price tables exist there). Empty here and
    /// filled with <see cref="DefaultRegions"/> after binding: the configuration binder appends to a pre-filled list,
    /// so configured regions would otherwise be added to the defaults instead of replacing them.
    /// </summary>
    public List<string> Regions { get; set; } = [];
}
