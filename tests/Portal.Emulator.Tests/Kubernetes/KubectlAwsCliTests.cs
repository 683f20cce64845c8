using Portal.Emulator.Tests.Support;
using Xunit.Abstractions;

namespace Portal.Emulator.Tests.Kubernetes;

/// <summary>
/// What docs/emulator.md tells people to do: <c>aws eks update-kubeconfig</c> against the emulator, then plain kubectl,
/// which runs <c>aws eks get-token</c> as its exec credential plugin for every call.
/// </summary>
public sealed class KubectlAwsCliTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _kubeconfig = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
    private EmulatorHost _host = null!;

    // The CLI signs with the wall clock, so the emulator keeps the system clock here.
    public async Task InitializeAsync() =>
        _host = await EmulatorHost.StartAsync(new EmulatorOptions { Lifecycle = LifecycleOptions.Instant }, CancellationToken.None);

    public async Task DisposeAsync()
    {
        File.Delete(_kubeconfig);
        if (Directory.Exists(_kubeconfig + "-cache")) Directory.Delete(_kubeconfig + "-cache", recursive: true);
        await _host.DisposeAsync();
    }

    [KubectlAndAwsCliFact]
    public async Task Kubectl_WithKubeconfigFromAwsEksUpdateKubeconfig_AuthenticatesThroughGetToken()
    {
        var account = _host.PrimaryAccount;
        var cli = new AwsCli(_host.BaseAddress, account.AccessKeyId!, account.SecretAccessKey!);
        var created = await cli.RunAsync("eks", "create-cluster", "--name", "docs", "--role-arn", "arn:aws:iam::111111111111:role/eks",
            "--resources-vpc-config", "subnetIds=subnet-a,subnet-b");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("ACTIVE", (string?)(await cli.RunAsync("eks", "describe-cluster", "--name", "docs")).Json["cluster"]!["status"]);

        var written = await cli.RunAsync("eks", "update-kubeconfig", "--name", "docs", "--kubeconfig", _kubeconfig);
        Assert.True(written.ExitCode == 0, written.ToString());
        var kubeconfig = await File.ReadAllTextAsync(_kubeconfig);
        Assert.Contains($"server: {_host.KubernetesBaseAddress}k8s/", kubeconfig);
        Assert.Contains("certificate-authority-data:", kubeconfig);
        Assert.Contains("get-token", kubeconfig);

        // kubectl finds "aws" on PATH: Debian's CLI v2 first, with the account's keys in the environment as a shell has them.
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/bin:/bin",
            ["AWS_ACCESS_KEY_ID"] = account.AccessKeyId!,
            ["AWS_SECRET_ACCESS_KEY"] = account.SecretAccessKey!,
            ["AWS_CONFIG_FILE"] = "/dev/null",
            ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
        };
        var namespaces = await KubectlTests.RunKubectlAsync(output, _kubeconfig, "get namespaces", environment: environment);

        Assert.True(namespaces.Code == 0, namespaces.Err);
        Assert.Contains("kube-system", namespaces.Out);
    }
}

/// <summary>A fact that needs both kubectl and the AWS CLI v2, skipped with a message when either is missing.</summary>
public sealed class KubectlAndAwsCliFactAttribute : FactAttribute
{
    public KubectlAndAwsCliFactAttribute()
    {
        if (KubectlTests.Kubectl is null) Skip = "kubectl is not installed on this machine";
        else if (!File.Exists(AwsCli.Path)) Skip = $"{AwsCli.Path} is missing: apt-get install -y awscli";
    }
}
