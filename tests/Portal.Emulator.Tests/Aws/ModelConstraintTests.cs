using System.Text.Json.Nodes;
using Portal.Emulator.Aws;
using Portal.Emulator.Aws.Eks;
using Portal.Emulator.Tests.Support;

namespace Portal.Emulator.Tests.Aws;

/// <summary>One emulator for all the constraint cases: they only ever fail validation, so they share no state.</summary>
public sealed class ModelConstraintFixture : IAsyncLifetime
{
    public AwsEmulator Emulator { get; private set; } = null!;

    public async Task InitializeAsync() => Emulator = await AwsEmulator.StartAsync();

    public async Task DisposeAsync() => await Emulator.DisposeAsync();
}

/// <summary>
/// Walks the botocore EKS and STS models and, for every supported operation, breaks each documented constraint it
/// finds (required members, enums, string lengths, numeric ranges, list sizes, map keys and values) one at a time.
/// The cases come from the model, not from a list in this file.
/// </summary>
public sealed class ModelConstraintTests(ModelConstraintFixture fixture) : IClassFixture<ModelConstraintFixture>
{
    private static readonly AwsServiceModel Eks = AwsServiceModel.LoadEks();
    private static readonly AwsServiceModel Sts = AwsServiceModel.LoadSts();
    private static readonly Lazy<Dictionary<string, ConstraintCase>> Cases = new(() => EnumerateCases().ToDictionary(c => c.Id));

    public sealed record ConstraintCase(string Id, string Service, string Operation, string Member, JsonObject Body, string Query);

    public static TheoryData<string> CaseIds() => [.. Cases.Value.Keys];

    [Fact]
    public void Enumeration_CoversEverySupportedOperationWithConstraints()
    {
        var covered = Cases.Value.Values.Select(c => c.Operation).ToHashSet();

        foreach (var operation in EksService.Operations.Where(HasCheckableMembers)) Assert.Contains(operation, covered);
        Assert.Contains("AssumeRole", covered);
        Assert.True(Cases.Value.Count >= 40, $"only {Cases.Value.Count} cases");
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public async Task Request_BreakingAModelConstraint_ReturnsTheModelsValidationError(string id)
    {
        var @case = Cases.Value[id];
        var client = fixture.Emulator.Platform;

        AwsResponse response;
        string expected;
        int status;
        if (@case.Service == "sts")
        {
            var form = @case.Body.Select(p => KeyValuePair.Create(p.Key, p.Value?.ToString() ?? "")).ToList();
            response = await client.StsAsync([new("Action", @case.Operation), new("Version", "2011-06-15"), .. form]);
            (expected, status) = ("ValidationError", 400);
        }
        else
        {
            var path = Eks.RequestUri(@case.Operation).Replace("{name}", "model-check").Replace("{nodegroupName}", "ng")
                .Replace("{updateId}", "00000000-0000-0000-0000-000000000000").Replace("{resourceArn}", Uri.EscapeDataString("arn:aws:eks:us-east-1:111111111111:cluster/model-check"));
            var method = new HttpMethod(Eks.HttpMethod(@case.Operation));
            response = await client.EksAsync(method, path + @case.Query, method == HttpMethod.Get ? null : @case.Body);
            var declared = Eks.Errors(@case.Operation);
            expected = new[] { "InvalidParameterException", "BadRequestException", "InvalidRequestException" }.FirstOrDefault(declared.Contains) ?? "ClientException";
            status = Eks.ErrorInfo(expected).Status;
        }

        Assert.True(response.ErrorType == expected && response.Status == status, $"{id}: expected {status} {expected}, got {response}");
        Assert.Contains(@case.Member, response.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether the model documents any constraint on a member the client sends in the body or query.</summary>
    private static bool HasCheckableMembers(string operation)
    {
        var input = Eks.InputShape(operation)!;
        return Eks.Members(input).Any(m => (string?)m.Value["location"] is not ("uri" or "header")
            && (Eks.Required(input).Contains(m.Key) || Violations(Eks, (string)m.Value["shape"]!).Any()));
    }

    private static IEnumerable<ConstraintCase> EnumerateCases()
    {
        foreach (var operation in EksService.Operations)
        {
            if (BaseRequest(operation) is not { } baseRequest) continue;
            var input = Eks.InputShape(operation)!;
            var required = Eks.Required(input);
            foreach (var (name, member) in Eks.Members(input))
            {
                var location = (string?)member["location"];
                if (location == "uri" || location == "header") continue;
                var shapeName = (string)member["shape"]!;
                if (location == "querystring")
                {
                    foreach (var (label, value) in Violations(Eks, shapeName))
                    {
                        var query = value is JsonArray list
                            ? "?" + string.Join('&', list.Select(v => $"{name}={Uri.EscapeDataString(v!.ToString())}"))
                            : $"?{name}={Uri.EscapeDataString(value?.ToString() ?? "")}";
                        if (value is JsonArray { Count: 0 }) query = "";
                        yield return new($"eks {operation} {name} {label}", "eks", operation, name, baseRequest.Body, query);
                    }
                    continue;
                }
                if (required.Contains(name))
                {
                    var body = (JsonObject)baseRequest.Body.DeepClone();
                    body.Remove(name);
                    yield return new($"eks {operation} {name} missing", "eks", operation, name, body, baseRequest.Query);
                }
                foreach (var (label, value) in Violations(Eks, shapeName))
                {
                    var body = (JsonObject)baseRequest.Body.DeepClone();
                    body[name] = value;
                    yield return new($"eks {operation} {name} {label}", "eks", operation, name, body, baseRequest.Query);
                }
                // One level down: members of a structure the base request carries.
                if (baseRequest.Body[name] is JsonObject present && (string)Eks.Shape(shapeName)["type"]! == "structure")
                {
                    foreach (var (inner, innerMember) in Eks.Members(shapeName))
                    {
                        foreach (var (label, value) in Violations(Eks, (string)innerMember["shape"]!))
                        {
                            var body = (JsonObject)baseRequest.Body.DeepClone();
                            body[name]!.AsObject()[inner] = value;
                            yield return new($"eks {operation} {name}.{inner} {label}", "eks", operation, inner, body, baseRequest.Query);
                        }
                    }
                }
            }
        }

        var assumeRole = new JsonObject { ["RoleArn"] = "arn:aws:iam::222222222222:role/unicron-provisioner", ["RoleSessionName"] = "model", ["ExternalId"] = "unicron-emulator-external-id" };
        foreach (var (name, member) in Sts.Members(Sts.InputShape("AssumeRole")!))
        {
            var shape = Sts.Shape((string)member["shape"]!);
            if ((string)shape["type"]! is not ("string" or "integer")) continue;
            if (Sts.Required(Sts.InputShape("AssumeRole")!).Contains(name))
            {
                var body = (JsonObject)assumeRole.DeepClone();
                body.Remove(name);
                yield return new($"sts AssumeRole {name} missing", "sts", "AssumeRole", name, body, "");
            }
            foreach (var (label, value) in Violations(Sts, (string)member["shape"]!))
            {
                if (label.StartsWith("empty", StringComparison.Ordinal)) continue; // an empty form value is "absent" on the wire
                var body = (JsonObject)assumeRole.DeepClone();
                body[name] = value;
                yield return new($"sts AssumeRole {name} {label}", "sts", "AssumeRole", name, body, "");
            }
        }
    }

    /// <summary>Values that break one documented constraint of a shape each.</summary>
    private static IEnumerable<(string Label, JsonNode? Value)> Violations(AwsServiceModel model, string shapeName)
    {
        var shape = model.Shape(shapeName);
        var min = (long?)shape["min"];
        var max = (long?)shape["max"];
        switch ((string)shape["type"]!)
        {
            case "string":
                if (shape["enum"] is not null) yield return ("not in enum", "NOT_A_MODEL_ENUM_VALUE");
                if (min > 0) yield return (min == 1 ? "empty (min 1)" : $"shorter than {min}", new string('a', (int)min.Value - 1));
                if (max is <= 5000) yield return ($"longer than {max}", new string('a', (int)max.Value + 1));
                break;
            case "integer" or "long":
                if (min is { } low) yield return ($"below {low}", low - 1);
                if (max is { } high) yield return ($"above {high}", high + 1);
                break;
            case "list":
                if (min > 0) yield return ($"fewer than {min} items", new JsonArray());
                if (max is <= 100 && (string)model.Shape((string)shape["member"]!["shape"]!)["type"]! == "string")
                {
                    yield return ($"more than {max} items", new JsonArray([.. Enumerable.Range(0, (int)max.Value + 1).Select(i => (JsonNode)$"item{i}")]));
                }
                break;
            case "map":
                var key = model.Shape((string)shape["key"]!["shape"]!);
                var value = model.Shape((string)shape["value"]!["shape"]!);
                if ((long?)key["max"] is { } keyMax) yield return ($"key longer than {keyMax}", new JsonObject { [new string('k', (int)keyMax + 1)] = "v" });
                if ((long?)value["max"] is { } valueMax && (string)value["type"]! == "string") yield return ($"value longer than {valueMax}", new JsonObject { ["k"] = new string('v', (int)valueMax + 1) });
                break;
        }
    }

    /// <summary>A request each operation accepts up to validation; its optional structures are present so their members get checked too.</summary>
    private static (JsonObject Body, string Query)? BaseRequest(string operation) => operation switch
    {
        "CreateCluster" => (new JsonObject
        {
            ["name"] = "model-check",
            ["roleArn"] = "arn:aws:iam::111111111111:role/eks",
            ["resourcesVpcConfig"] = new JsonObject { ["subnetIds"] = new JsonArray("subnet-a", "subnet-b") },
            ["kubernetesNetworkConfig"] = new JsonObject(),
            ["accessConfig"] = new JsonObject(),
            ["upgradePolicy"] = new JsonObject(),
            ["tags"] = new JsonObject { ["a"] = "b" },
        }, ""),
        "UpdateClusterVersion" => (new JsonObject { ["version"] = "1.34" }, ""),
        "CreateNodegroup" => (new JsonObject
        {
            ["nodegroupName"] = "ng",
            ["subnets"] = new JsonArray("subnet-a"),
            ["nodeRole"] = "arn:aws:iam::111111111111:role/node",
            ["scalingConfig"] = new JsonObject { ["minSize"] = 1, ["maxSize"] = 2, ["desiredSize"] = 1 },
            ["updateConfig"] = new JsonObject { ["maxUnavailable"] = 1 },
            ["labels"] = new JsonObject { ["a"] = "b" },
            ["tags"] = new JsonObject { ["a"] = "b" },
            ["launchTemplate"] = new JsonObject(),
            ["remoteAccess"] = new JsonObject(),
        }, ""),
        "UpdateNodegroupConfig" => (new JsonObject
        {
            ["scalingConfig"] = new JsonObject { ["desiredSize"] = 1 },
            ["updateConfig"] = new JsonObject { ["maxUnavailable"] = 1 },
            ["labels"] = new JsonObject { ["addOrUpdateLabels"] = new JsonObject { ["a"] = "b" } },
            ["taints"] = new JsonObject(),
        }, ""),
        "UpdateNodegroupVersion" => (new JsonObject { ["version"] = "1.33" }, ""),
        "TagResource" => (new JsonObject { ["tags"] = new JsonObject { ["a"] = "b" } }, ""),
        "ListClusters" or "ListUpdates" or "ListNodegroups" => ([], ""),
        "UntagResource" => ([], ""),
        _ => null,
    };
}
