using Portal.Emulator.Aws.Identity;

namespace Portal.Emulator;

/// <summary>Standalone emulator: <c>dotnet run --project src/Portal.Emulator -- --urls http://127.0.0.1:4566</c>.</summary>
public static class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // LocalStack's port, so AWS tooling habits carry over.
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://127.0.0.1:4566");
        var options = builder.Configuration.GetSection(EmulatorOptions.SectionName).Get<EmulatorOptions>() ?? new EmulatorOptions();
        EmulatorApp.ConfigureServices(builder, options);
        var app = builder.Build();
        EmulatorApp.MapEndpoints(app);
        await app.StartAsync();

        var addresses = app.Services.GetRequiredService<EmulatorAddresses>();
        var endpoint = addresses.Http?.GetLeftPart(UriPartial.Authority) ?? addresses.KubernetesBaseUrl(null);
        Console.WriteLine(Banner(endpoint, addresses.KubernetesBaseUrl(null), options, app.Services.GetRequiredService<AccountStore>().Accounts));
        await app.WaitForShutdownAsync();
    }

    /// <param name="endpoint">The plain-HTTP endpoint for the AWS APIs and the admin endpoints.</param>
    /// <param name="kubernetesBaseUrl">What clusters' Kubernetes endpoints are built on (the HTTPS listener unless configured otherwise).</param>
    internal static string Banner(string endpoint, string kubernetesBaseUrl, EmulatorOptions options, IReadOnlyList<AccountOptions> accounts)
    {
        var lines = new List<string>
        {
            $"Unicron cloud emulator (EKS, STS, Kubernetes) listening on {endpoint}{(kubernetesBaseUrl.StartsWith("https://", StringComparison.Ordinal) ? $" and {kubernetesBaseUrl}" : "")}",
            $"  Kubernetes API of a cluster: {kubernetesBaseUrl}/k8s/<key> (DescribeCluster's endpoint, certificate from its certificateAuthority); admin: {endpoint}/_emulator/",
            $"  kubectl: aws --endpoint-url {endpoint} eks update-kubeconfig --name <cluster> --kubeconfig ./<cluster>.kubeconfig",
            options.StateFile is { Length: > 0 } file ? $"  State file: {Path.GetFullPath(file)}" : "  State: in memory (set Emulator:StateFile to keep it across restarts)",
        };
        var primary = accounts.FirstOrDefault(a => a.AccessKeyId is not null);
        if (primary is not null)
        {
            lines.Add("");
            lines.Add($"# Account {primary.Id} ({primary.Name}):");
            lines.Add($"export AWS_ACCESS_KEY_ID={primary.AccessKeyId} AWS_SECRET_ACCESS_KEY={primary.SecretAccessKey} AWS_REGION={options.Region} AWS_ENDPOINT_URL={endpoint}");
        }
        if (EmulatorHost.FindProvisionerRole(accounts) is { } role)
        {
            lines.Add("");
            lines.Add($"# Provisioner role in account {role.AccountId}, assumable from account {primary!.Id}:");
            lines.Add($"#   role ARN:    {role.RoleArn}");
            lines.Add($"#   external id: {role.ExternalId ?? "(none)"}");
            lines.Add($"#   aws sts assume-role --role-arn {role.RoleArn} --role-session-name me{(role.ExternalId is null ? "" : $" --external-id {role.ExternalId}")}");
        }
        return string.Join(Environment.NewLine, lines);
    }
}
