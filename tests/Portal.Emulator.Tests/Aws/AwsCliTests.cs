using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

/// <summary>The real AWS CLI v2, unmodified, with --endpoint-url: every supported EKS and STS operation.</summary>
public sealed class AwsCliTests : IAsyncLifetime
{
    private EmulatorHost _host = null!;
    private AwsCli _cli = null!;

    public async Task InitializeAsync()
    {
        // The CLI signs with the wall clock, so the emulator keeps the system clock here.
        _host = await EmulatorHost.StartAsync(new EmulatorOptions { Lifecycle = LifecycleOptions.Instant }, CancellationToken.None);
        _cli = new AwsCli(_host.BaseAddress, _host.PrimaryAccount.AccessKeyId!, _host.PrimaryAccount.SecretAccessKey!);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static void Ok(AwsCli.Result result) => Assert.True(result.ExitCode == 0, result.ToString());

    [AwsCliFact]
    public async Task AwsCli_RunsEveryEksOperation_AgainstTheEmulator()
    {
        var created = await _cli.RunAsync("eks", "create-cluster", "--name", "cli", "--kubernetes-version", "1.33",
            "--role-arn", "arn:aws:iam::111111111111:role/eks", "--resources-vpc-config", "subnetIds=subnet-a,subnet-b", "--tags", "team=ml");
        Ok(created);
        Assert.Equal("CREATING", (string?)created.Json["cluster"]!["status"]);

        var described = await _cli.RunAsync("eks", "describe-cluster", "--name", "cli");
        Ok(described);
        Assert.Equal("ACTIVE", (string?)described.Json["cluster"]!["status"]);
        var arn = (string)described.Json["cluster"]!["arn"]!;

        var listed = await _cli.RunAsync("eks", "list-clusters", "--max-results", "10");
        Ok(listed);
        Assert.Contains("cli", listed.Json["clusters"]!.AsArray().Select(n => (string?)n));

        Ok(await _cli.RunAsync("eks", "tag-resource", "--resource-arn", arn, "--tags", "env=dev,owner=me"));
        Ok(await _cli.RunAsync("eks", "untag-resource", "--resource-arn", arn, "--tag-keys", "owner", "team"));
        var tags = await _cli.RunAsync("eks", "list-tags-for-resource", "--resource-arn", arn);
        Ok(tags);
        Assert.Equal("""{"env":"dev"}""", tags.Json["tags"]!.ToJsonString());

        Ok(await _cli.RunAsync("eks", "create-nodegroup", "--cluster-name", "cli", "--nodegroup-name", "gpu", "--subnets", "subnet-a",
            "--node-role", "arn:aws:iam::111111111111:role/node", "--scaling-config", "minSize=0,maxSize=2,desiredSize=1",
            "--ami-type", "AL2023_x86_64_NVIDIA", "--instance-types", "g5.xlarge", "--taints", "key=nvidia.com/gpu,value=true,effect=NO_SCHEDULE"));
        var nodegroup = await _cli.RunAsync("eks", "describe-nodegroup", "--cluster-name", "cli", "--nodegroup-name", "gpu");
        Ok(nodegroup);
        Assert.Equal("ACTIVE", (string?)nodegroup.Json["nodegroup"]!["status"]);
        var nodegroups = await _cli.RunAsync("eks", "list-nodegroups", "--cluster-name", "cli");
        Ok(nodegroups);
        Assert.Single(nodegroups.Json["nodegroups"]!.AsArray());

        var config = await _cli.RunAsync("eks", "update-nodegroup-config", "--cluster-name", "cli", "--nodegroup-name", "gpu", "--scaling-config", "desiredSize=2");
        Ok(config);
        var configUpdate = (string)config.Json["update"]!["id"]!;
        var describedUpdate = await _cli.RunAsync("eks", "describe-update", "--name", "cli", "--update-id", configUpdate, "--nodegroup-name", "gpu");
        Ok(describedUpdate);
        Assert.Equal("Successful", (string?)describedUpdate.Json["update"]!["status"]);

        var upgrade = await _cli.RunAsync("eks", "update-cluster-version", "--name", "cli", "--kubernetes-version", "1.34");
        Ok(upgrade);
        var updates = await _cli.RunAsync("eks", "list-updates", "--name", "cli");
        Ok(updates);
        Assert.Contains((string?)upgrade.Json["update"]!["id"], updates.Json["updateIds"]!.AsArray().Select(n => (string?)n));
        Ok(await _cli.RunAsync("eks", "update-nodegroup-version", "--cluster-name", "cli", "--nodegroup-name", "gpu"));
        var upgraded = await _cli.RunAsync("eks", "describe-nodegroup", "--cluster-name", "cli", "--nodegroup-name", "gpu");
        Assert.Equal("1.34", (string?)upgraded.Json["nodegroup"]!["version"]);

        Ok(await _cli.RunAsync("eks", "delete-nodegroup", "--cluster-name", "cli", "--nodegroup-name", "gpu"));
        Ok(await _cli.RunAsync("eks", "delete-cluster", "--name", "cli"));
        var gone = await _cli.RunAsync("eks", "describe-cluster", "--name", "cli");
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("ResourceNotFoundException", gone.Stderr);
    }

    [AwsCliFact]
    public async Task AwsCli_RefusedRequests_ShowTheModelsErrorTypes()
    {
        var badVersion = await _cli.RunAsync("eks", "create-cluster", "--name", "bad", "--kubernetes-version", "1.2",
            "--role-arn", "arn:aws:iam::111111111111:role/eks", "--resources-vpc-config", "subnetIds=subnet-a,subnet-b");
        Assert.Contains("InvalidParameterException", badVersion.Stderr);

        var wrongSecret = await new AwsCli(_host.BaseAddress, _host.PrimaryAccount.AccessKeyId!, "wrong").RunAsync("eks", "list-clusters");
        Assert.Contains("InvalidSignatureException", wrongSecret.Stderr);

        var unknownKey = await new AwsCli(_host.BaseAddress, "AKIANOTISSUED0000000", "x").RunAsync("sts", "get-caller-identity");
        Assert.Contains("InvalidClientTokenId", unknownKey.Stderr);
    }

    [AwsCliFact]
    public async Task AwsCli_AssumeRoleThenGetCallerIdentity_ActsInTheRolesAccount()
    {
        var role = _host.ProvisionerRole!.Value;
        var wrong = await _cli.RunAsync("sts", "assume-role", "--role-arn", role.RoleArn, "--role-session-name", "cli", "--external-id", "wrong-id");
        Assert.Contains("AccessDenied", wrong.Stderr);

        var assumed = await _cli.RunAsync("sts", "assume-role", "--role-arn", role.RoleArn, "--role-session-name", "cli", "--external-id", role.ExternalId!, "--duration-seconds", "900");
        Ok(assumed);
        var credentials = assumed.Json["Credentials"]!;
        var asRole = new AwsCli(_host.BaseAddress, (string)credentials["AccessKeyId"]!, (string)credentials["SecretAccessKey"]!, (string)credentials["SessionToken"]!);

        var identity = await asRole.RunAsync("sts", "get-caller-identity");
        Ok(identity);
        Assert.Equal("222222222222", (string?)identity.Json["Account"]);
        Assert.Equal("arn:aws:sts::222222222222:assumed-role/unicron-provisioner/cli", (string?)identity.Json["Arn"]);
        var clusters = await asRole.RunAsync("eks", "list-clusters");
        Ok(clusters);
    }

    [AwsCliFact]
    public async Task AwsCliGetToken_ProducesATokenVerifyEksTokenAccepts()
    {
        var result = await _cli.RunAsync(withEndpoint: false, "eks", "get-token", "--cluster-name", "tokens");
        Ok(result);
        var token = (string)result.Json["status"]!["token"]!;

        var (caller, error) = _host.Clusters.VerifyEksToken(token, "tokens");

        Assert.Null(error);
        Assert.Equal("111111111111", caller!.AccountId);
        Assert.NotNull(_host.Clusters.VerifyEksToken(token, "other").Error);
    }

    [AwsCliFact]
    public async Task AwsCliGetToken_WithAssumedRoleCredentials_IsAcceptedForTheRolesAccount()
    {
        var role = _host.ProvisionerRole!.Value;
        var assumed = await _cli.RunAsync("sts", "assume-role", "--role-arn", role.RoleArn, "--role-session-name", "kube", "--external-id", role.ExternalId!);
        Ok(assumed);
        var credentials = assumed.Json["Credentials"]!;
        var asRole = new AwsCli(_host.BaseAddress, (string)credentials["AccessKeyId"]!, (string)credentials["SecretAccessKey"]!, (string)credentials["SessionToken"]!);

        var result = await asRole.RunAsync(withEndpoint: false, "eks", "get-token", "--cluster-name", "team");
        Ok(result);

        var (caller, error) = _host.Clusters.VerifyEksToken((string)result.Json["status"]!["token"]!, "team");
        Assert.Null(error);
        Assert.Equal("222222222222", caller!.AccountId);
    }
}
