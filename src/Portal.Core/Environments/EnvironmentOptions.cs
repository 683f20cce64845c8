namespace Portal.Core.Environments;

/// <summary>Section <c>Environments</c>: where teams may put their environments.</summary>
public sealed class EnvironmentOptions
{
    public const string SectionName = "Environments";

    /// <summary>AWS regions the platform supports (clusters, add-on mirrors and price tables exist there).</summary>
    public List<string> Regions { get; set; } = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-north-1", "ap-southeast-1"];
}
