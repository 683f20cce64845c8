using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Portal.Emulator.Tests.Support;

/// <summary>A fact that needs the AWS CLI v2 (Debian's awscli, /usr/bin/aws); CI installs it.</summary>
public sealed class AwsCliFactAttribute : FactAttribute
{
    public AwsCliFactAttribute()
    {
        if (!File.Exists(AwsCli.Path)) Skip = $"{AwsCli.Path} is missing: apt-get install -y awscli";
    }
}

/// <summary>A process-per-call AWS CLI with its own credentials and no user configuration.</summary>
public sealed class AwsCli(Uri endpoint, string accessKeyId, string secretAccessKey, string? sessionToken = null, string region = "us-east-1")
{
    public const string Path = "/usr/bin/aws";

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public JsonObject Json => JsonNode.Parse(Stdout)!.AsObject();

        public override string ToString() => $"exit {ExitCode}: {Stdout}{Stderr}";
    }

    public async Task<Result> RunAsync(params string[] args) => await RunAsync(withEndpoint: true, args);

    public async Task<Result> RunAsync(bool withEndpoint, params string[] args)
    {
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (withEndpoint)
        {
            start.ArgumentList.Add("--endpoint-url");
            start.ArgumentList.Add(endpoint.ToString().TrimEnd('/'));
        }
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.ArgumentList.Add("--output");
        start.ArgumentList.Add("json");
        start.Environment["AWS_ACCESS_KEY_ID"] = accessKeyId;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = secretAccessKey;
        if (sessionToken is not null) start.Environment["AWS_SESSION_TOKEN"] = sessionToken;
        else start.Environment.Remove("AWS_SESSION_TOKEN");
        start.Environment["AWS_DEFAULT_REGION"] = region;
        start.Environment["AWS_REGION"] = region;
        start.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        start.Environment["AWS_PAGER"] = "";
        start.Environment["AWS_MAX_ATTEMPTS"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
