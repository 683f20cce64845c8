using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Portal.Emulator.Aws.Identity;
using Portal.Emulator.Shared;

namespace Portal.Emulator.Aws.Eks;

/// <summary>Who is calling EKS and the base URL the cluster endpoints are built on.</summary>
public sealed record EksCall(AwsCaller Caller, string BaseUrl);

/// <summary>
/// The EKS control plane: clusters, node groups and updates in each account and region, with lifecycles that
/// advance on the emulator's clock. Input arrives already checked against the model; the rules here are the ones
/// the model cannot express (versions, states, quotas, idempotency).
/// </summary>
public sealed class EksService(AwsState state, EmulatorOptions options, TimeProvider clock, CertificateAuthority ca, EmulatorCalls calls)
{
    private static readonly string[] SupportedOperations =
    [
        "CreateCluster", "DescribeCluster", "ListClusters", "DeleteCluster", "UpdateClusterVersion", "DescribeUpdate", "ListUpdates",
        "CreateNodegroup", "DescribeNodegroup", "ListNodegroups", "UpdateNodegroupConfig", "UpdateNodegroupVersion", "DeleteNodegroup",
        "TagResource", "UntagResource", "ListTagsForResource",
    ];

    public static IReadOnlyList<string> Operations => SupportedOperations;

    private LifecycleOptions Lifecycle => options.Lifecycle;

    public JsonObject Invoke(string operation, EksCall call, JsonObject input) => operation switch
    {
        "CreateCluster" => CreateCluster(call, input),
        "DescribeCluster" => Locked(() => new JsonObject { ["cluster"] = ClusterJson(FindCluster(call, Name(input)), call) }),
        "ListClusters" => ListClusters(call, input),
        "DeleteCluster" => DeleteCluster(call, input),
        "UpdateClusterVersion" => UpdateClusterVersion(call, input),
        "DescribeUpdate" => DescribeUpdate(call, input),
        "ListUpdates" => ListUpdates(call, input),
        "CreateNodegroup" => CreateNodegroup(call, input),
        "DescribeNodegroup" => Locked(() => new JsonObject { ["nodegroup"] = NodegroupJson(FindNodegroup(call, input).Nodegroup) }),
        "ListNodegroups" => ListNodegroups(call, input),
        "UpdateNodegroupConfig" => UpdateNodegroupConfig(call, input),
        "UpdateNodegroupVersion" => UpdateNodegroupVersion(call, input),
        "DeleteNodegroup" => DeleteNodegroup(call, input),
        "TagResource" => TagResource(call, input),
        "UntagResource" => UntagResource(call, input),
        "ListTagsForResource" => Locked(() => new JsonObject { ["tags"] = ToJson(FindTagged(call, (string)input["resourceArn"]!)) }),
        _ => throw new EksException("InvalidRequestException", $"Operation {operation} is not supported by the emulator."),
    };

    /// <summary>Every cluster, after applying transitions that are due (for the Kubernetes half and the admin endpoints).</summary>
    public IReadOnlyList<ClusterState> Snapshot()
    {
        lock (state.Gate)
        {
            AdvanceAll();
            return state.Clusters.Values.ToList();
        }
    }

    public ClusterState? FindByKey(string key)
    {
        lock (state.Gate)
        {
            AdvanceAll();
            return state.Clusters.GetValueOrDefault(key);
        }
    }

    private JsonObject CreateCluster(EksCall call, JsonObject input)
    {
        var name = (string)input["name"]!;
        var token = (string?)input["clientRequestToken"];
        var version = (string?)input["version"] ?? options.EffectiveKubernetesVersions[^1];
        if (!options.EffectiveKubernetesVersions.Contains(version))
        {
            throw new EksException("InvalidParameterException",
                $"unsupported Kubernetes version {version}. Supported versions: {string.Join(", ", options.EffectiveKubernetesVersions)}", name);
        }
        var roleArn = (string)input["roleArn"]!;
        if (!IsRoleArn(roleArn)) throw new EksException("InvalidParameterException", $"Role ARN {roleArn} is not a valid IAM role ARN.", name);
        var subnets = input["resourcesVpcConfig"]?["subnetIds"]?.AsArray() ?? [];
        if (subnets.Count < 2)
        {
            throw new EksException("InvalidParameterException", "Subnets specified must be in at least two different AZs", name);
        }
        CheckTags(input["tags"]?.AsObject(), "InvalidParameterException");

        lock (state.Gate)
        {
            AdvanceAll();
            var existing = InScope(call).FirstOrDefault(c => c.Name == name);
            if (existing is not null)
            {
                // The same clientRequestToken repeats the first answer; anything else is a conflict.
                if (token is not null && existing.ClientRequestToken == token) return new JsonObject { ["cluster"] = ClusterJson(existing, call) };
                throw new EksException("ResourceInUseException", $"Cluster already exists with name: {name}", name);
            }
            if (InScope(call).Count() >= options.MaxClustersPerRegion)
            {
                throw new EksException("ResourceLimitExceededException", $"Cluster limit exceeded for account {call.Caller.Identity.AccountId}: {options.MaxClustersPerRegion}.", name);
            }
            var now = clock.GetUtcNow();
            var cluster = new ClusterState
            {
                Key = $"{name}-{RandomHex(4)}",
                AccountId = call.Caller.Identity.AccountId,
                Region = call.Caller.Region,
                Name = name,
                Arn = $"arn:aws:eks:{call.Caller.Region}:{call.Caller.Identity.AccountId}:cluster/{name}",
                RoleArn = roleArn,
                Version = version,
                CreatedAt = now,
                ClientRequestToken = token,
                Tags = ToDictionary(input["tags"]),
                Request = (JsonObject)input.DeepClone(),
                Pending = new PendingTransition(now + Lifecycle.ClusterCreate, "ACTIVE"),
            };
            state.Clusters[cluster.Key] = cluster;
            state.Changed();
            calls.RecordCreation("eks", "cluster", name, name);
            return new JsonObject { ["cluster"] = ClusterJson(cluster, call) };
        }
    }

    private JsonObject ListClusters(EksCall call, JsonObject input) => Locked(() =>
    {
        AdvanceAll();
        var (page, next) = Page(InScope(call).Select(c => c.Name), input);
        return new JsonObject { ["clusters"] = ToJson(page), ["nextToken"] = next };
    });

    private JsonObject DeleteCluster(EksCall call, JsonObject input) => Locked(() =>
    {
        var cluster = FindCluster(call, Name(input));
        if (cluster.Status == "DELETING") return new JsonObject { ["cluster"] = ClusterJson(cluster, call) };
        if (cluster.Nodegroups.Count > 0)
        {
            throw new EksException("ResourceInUseException", $"Cluster has nodegroups attached", cluster.Name);
        }
        if (cluster.Status is "CREATING" or "UPDATING")
        {
            throw new EksException("ResourceInUseException", $"Cannot delete because cluster {cluster.Name} currently has an operation in progress ({cluster.Status}).", cluster.Name);
        }
        cluster.Status = "DELETING";
        cluster.Pending = new PendingTransition(clock.GetUtcNow() + Lifecycle.ClusterDelete, "GONE");
        state.Changed();
        return new JsonObject { ["cluster"] = ClusterJson(cluster, call) };
    });

    private JsonObject UpdateClusterVersion(EksCall call, JsonObject input) => Locked(() =>
    {
        var cluster = FindCluster(call, Name(input));
        var token = (string?)input["clientRequestToken"];
        if (token is not null && cluster.Updates.FirstOrDefault(u => u.ClientRequestToken == token && u.NodegroupName is null) is { } repeated)
        {
            return new JsonObject { ["update"] = UpdateJson(repeated) };
        }
        var version = (string)input["version"]!;
        if (cluster.Status != "ACTIVE")
        {
            throw new EksException("ResourceInUseException", $"Cluster {cluster.Name} is currently {cluster.Status} and cannot be updated.", cluster.Name);
        }
        if (!options.EffectiveKubernetesVersions.Contains(version))
        {
            throw new EksException("InvalidParameterException", $"unsupported Kubernetes version {version}", cluster.Name);
        }
        // Control planes move one minor version at a time.
        if (Minor(version) != Minor(cluster.Version) + 1 || Major(version) != Major(cluster.Version))
        {
            throw new EksException("InvalidParameterException", $"Unsupported Kubernetes minor version update from {cluster.Version} to {version}", cluster.Name);
        }
        if (cluster.Nodegroups.Values.FirstOrDefault(n => n.Version != cluster.Version) is { } behind)
        {
            throw new EksException("InvalidRequestException",
                $"Nodegroup {behind.Name} must be updated to match cluster version {cluster.Version} before updating cluster version", cluster.Name, behind.Name);
        }
        var now = clock.GetUtcNow();
        var update = new UpdateState
        {
            Id = Guid.NewGuid().ToString(),
            Type = "VersionUpdate",
            CreatedAt = now,
            ClientRequestToken = token,
            Params = [new("Version", version), new("PlatformVersion", "eks.1")],
        };
        cluster.Updates.Add(update);
        cluster.Status = "UPDATING";
        cluster.Pending = new PendingTransition(now + Lifecycle.ClusterUpdate, "ACTIVE", update.Id);
        state.Changed();
        return new JsonObject { ["update"] = UpdateJson(update) };
    });

    private JsonObject DescribeUpdate(EksCall call, JsonObject input) => Locked(() =>
    {
        var cluster = FindCluster(call, Name(input));
        var nodegroupName = (string?)input["nodegroupName"];
        if (nodegroupName is not null) FindNodegroup(cluster, nodegroupName);
        var id = (string)input["updateId"]!;
        var update = cluster.Updates.FirstOrDefault(u => u.Id == id && u.NodegroupName == nodegroupName)
            ?? throw new EksException("ResourceNotFoundException", $"No update found for ID: {id}", cluster.Name, nodegroupName);
        return new JsonObject { ["update"] = UpdateJson(update) };
    });

    private JsonObject ListUpdates(EksCall call, JsonObject input) => Locked(() =>
    {
        var cluster = FindCluster(call, Name(input));
        var nodegroupName = (string?)input["nodegroupName"];
        if (nodegroupName is not null) FindNodegroup(cluster, nodegroupName);
        var ids = cluster.Updates.Where(u => u.NodegroupName == nodegroupName).Select(u => u.Id);
        var (page, next) = Page(ids, input, sort: false);
        return new JsonObject { ["updateIds"] = ToJson(page), ["nextToken"] = next };
    });

    private JsonObject CreateNodegroup(EksCall call, JsonObject input) => Locked(() =>
    {
        var cluster = FindCluster(call, (string)input["clusterName"]!);
        var name = (string)input["nodegroupName"]!;
        var token = (string?)input["clientRequestToken"];
        if (cluster.Nodegroups.TryGetValue(name, out var existing))
        {
            if (token is not null && existing.ClientRequestToken == token) return new JsonObject { ["nodegroup"] = NodegroupJson(existing) };
            throw new EksException("ResourceInUseException", $"NodeGroup already exists with name {name} and cluster name {cluster.Name}", cluster.Name, name);
        }
        if (cluster.Status != "ACTIVE")
        {
            throw new EksException("InvalidRequestException", $"Cluster '{cluster.Name}' is not in ACTIVE status", cluster.Name, name);
        }
        if (cluster.Nodegroups.Count >= options.MaxNodegroupsPerCluster)
        {
            throw new EksException("ResourceLimitExceededException", $"Nodegroups limit exceeded for cluster {cluster.Name}: {options.MaxNodegroupsPerCluster}.", cluster.Name, name);
        }
        var version = (string?)input["version"] ?? cluster.Version;
        CheckNodegroupVersion(cluster, name, version, current: null);
        if (!IsRoleArn((string)input["nodeRole"]!))
        {
            throw new EksException("InvalidParameterException", $"The provided role ARN {input["nodeRole"]} is not a valid IAM role ARN.", cluster.Name, name);
        }
        if (input["subnets"]!.AsArray().Count == 0) throw new EksException("InvalidParameterException", "Subnets are required", cluster.Name, name);
        CheckTags(input["tags"]?.AsObject(), "InvalidParameterException");

        var scaling = input["scalingConfig"]?.DeepClone().AsObject() ?? [];
        scaling["minSize"] ??= 1;
        scaling["maxSize"] ??= 2;
        scaling["desiredSize"] ??= (int)scaling["minSize"]! > 2 ? (int)scaling["minSize"]! : Math.Min(2, (int)scaling["maxSize"]!);
        CheckScaling(scaling, cluster.Name, name);
        if (input["launchTemplate"] is null && input["instanceTypes"] is JsonArray { Count: 0 })
        {
            throw new EksException("InvalidParameterException", "instanceTypes must not be empty", cluster.Name, name);
        }

        var now = clock.GetUtcNow();
        var spec = new JsonObject
        {
            ["capacityType"] = (string?)input["capacityType"] ?? "ON_DEMAND",
            ["scalingConfig"] = scaling,
            ["instanceTypes"] = input["instanceTypes"]?.DeepClone() ?? (input["launchTemplate"] is null ? new JsonArray("t3.medium") : null),
            ["subnets"] = input["subnets"]!.DeepClone(),
            ["amiType"] = (string?)input["amiType"] ?? (input["launchTemplate"] is null ? "AL2023_x86_64_STANDARD" : "CUSTOM"),
            ["nodeRole"] = (string)input["nodeRole"]!,
            ["labels"] = input["labels"]?.DeepClone() ?? new JsonObject(),
            ["taints"] = input["taints"]?.DeepClone(),
            ["diskSize"] = input["launchTemplate"] is null ? (int?)input["diskSize"] ?? 20 : null,
            ["updateConfig"] = input["updateConfig"]?.DeepClone() ?? new JsonObject { ["maxUnavailable"] = 1 },
            ["launchTemplate"] = input["launchTemplate"]?.DeepClone(),
            ["remoteAccess"] = input["remoteAccess"]?.DeepClone(),
            ["nodeRepairConfig"] = input["nodeRepairConfig"]?.DeepClone(),
        };
        var nodegroup = new NodegroupState
        {
            Name = name,
            Arn = $"arn:aws:eks:{cluster.Region}:{cluster.AccountId}:nodegroup/{cluster.Name}/{name}/{Guid.NewGuid()}",
            ClusterName = cluster.Name,
            Version = version,
            ReleaseVersion = (string?)input["releaseVersion"] ?? ReleaseFor(version),
            CreatedAt = now,
            ModifiedAt = now,
            ClientRequestToken = token,
            Tags = ToDictionary(input["tags"]),
            Spec = spec,
            Pending = new PendingTransition(now + Lifecycle.NodegroupCreate, "ACTIVE"),
        };
        cluster.Nodegroups[name] = nodegroup;
        state.Changed();
        calls.RecordCreation("eks", "nodegroup", cluster.Name, name);
        return new JsonObject { ["nodegroup"] = NodegroupJson(nodegroup) };
    });

    private JsonObject ListNodegroups(EksCall call, JsonObject input) => Locked(() =>
    {
        var cluster = FindCluster(call, (string)input["clusterName"]!);
        var (page, next) = Page(cluster.Nodegroups.Keys, input);
        return new JsonObject { ["nodegroups"] = ToJson(page), ["nextToken"] = next };
    });

    private JsonObject UpdateNodegroupConfig(EksCall call, JsonObject input) => Locked(() =>
    {
        var (cluster, nodegroup) = FindNodegroup(call, input);
        var token = (string?)input["clientRequestToken"];
        if (RepeatedUpdate(cluster, nodegroup, token) is { } repeated) return repeated;
        EnsureUpdatable(cluster, nodegroup);

        var next = (JsonObject)nodegroup.Spec.DeepClone();
        var changes = new List<KeyValuePair<string, string>>();
        if (input["scalingConfig"] is JsonObject scaling)
        {
            var merged = next["scalingConfig"]!.AsObject();
            foreach (var (field, param) in new[] { ("desiredSize", "DesiredSize"), ("minSize", "MinSize"), ("maxSize", "MaxSize") })
            {
                if (scaling[field] is { } value)
                {
                    merged[field] = value.DeepClone();
                    changes.Add(new(param, value.ToJsonString()));
                }
            }
            CheckScaling(merged, cluster.Name, nodegroup.Name);
        }
        if (input["labels"] is JsonObject labels)
        {
            var current = next["labels"]?.AsObject() ?? [];
            if (labels["addOrUpdateLabels"] is JsonObject add)
            {
                foreach (var (k, v) in add) current[k] = v?.DeepClone();
                changes.Add(new("LabelsToAdd", add.ToJsonString()));
            }
            if (labels["removeLabels"] is JsonArray remove)
            {
                foreach (var k in remove) current.Remove((string)k!);
                changes.Add(new("LabelsToRemove", remove.ToJsonString()));
            }
            next["labels"] = current;
        }
        if (input["taints"] is JsonObject taints)
        {
            var current = next["taints"]?.AsArray().Select(t => t!.DeepClone()).ToList() ?? [];
            if (taints["removeTaints"] is JsonArray remove)
            {
                current.RemoveAll(t => remove.Any(r => (string?)r!["key"] == (string?)t!["key"] && ((string?)r!["effect"] is null || (string?)r["effect"] == (string?)t!["effect"])));
                changes.Add(new("TaintsToRemove", remove.ToJsonString()));
            }
            if (taints["addOrUpdateTaints"] is JsonArray add)
            {
                foreach (var taint in add)
                {
                    current.RemoveAll(t => (string?)t!["key"] == (string?)taint!["key"] && (string?)t!["effect"] == (string?)taint!["effect"]);
                    current.Add(taint!.DeepClone());
                }
                changes.Add(new("TaintsToAdd", add.ToJsonString()));
            }
            next["taints"] = new JsonArray([.. current]);
        }
        if (input["updateConfig"] is JsonObject updateConfig)
        {
            next["updateConfig"] = updateConfig.DeepClone();
            if (updateConfig["maxUnavailable"] is { } mu) changes.Add(new("MaxUnavailable", mu.ToJsonString()));
            if (updateConfig["maxUnavailablePercentage"] is { } mup) changes.Add(new("MaxUnavailablePercentage", mup.ToJsonString()));
        }
        if (input["nodeRepairConfig"] is JsonObject repair)
        {
            next["nodeRepairConfig"] = repair.DeepClone();
            changes.Add(new("NodeRepairEnabled", repair["enabled"]?.ToJsonString() ?? "false"));
        }
        if (changes.Count == 0) throw new EksException("InvalidParameterException", "No changes needed", cluster.Name, nodegroup.Name);
        return StartNodegroupUpdate(cluster, nodegroup, "ConfigUpdate", changes, token, next, version: null);
    });

    private JsonObject UpdateNodegroupVersion(EksCall call, JsonObject input) => Locked(() =>
    {
        var (cluster, nodegroup) = FindNodegroup(call, input);
        var token = (string?)input["clientRequestToken"];
        if (RepeatedUpdate(cluster, nodegroup, token) is { } repeated) return repeated;
        EnsureUpdatable(cluster, nodegroup);
        var version = (string?)input["version"] ?? cluster.Version;
        CheckNodegroupVersion(cluster, nodegroup.Name, version, nodegroup.Version);
        var release = (string?)input["releaseVersion"] ?? ReleaseFor(version);
        List<KeyValuePair<string, string>> changes = [new("Version", version), new("ReleaseVersion", release)];
        return StartNodegroupUpdate(cluster, nodegroup, "VersionUpdate", changes, token, pendingSpec: null, version: (version, release));
    });

    private JsonObject DeleteNodegroup(EksCall call, JsonObject input) => Locked(() =>
    {
        var (cluster, nodegroup) = FindNodegroup(call, input);
        if (nodegroup.Status == "DELETING") return new JsonObject { ["nodegroup"] = NodegroupJson(nodegroup) };
        if (nodegroup.Status is "CREATING" or "UPDATING")
        {
            throw new EksException("ResourceInUseException", $"Nodegroup {nodegroup.Name} is currently {nodegroup.Status} and cannot be deleted.", cluster.Name, nodegroup.Name);
        }
        nodegroup.Status = "DELETING";
        nodegroup.ModifiedAt = clock.GetUtcNow();
        nodegroup.Pending = new PendingTransition(clock.GetUtcNow() + Lifecycle.NodegroupDelete, "GONE");
        state.Changed();
        return new JsonObject { ["nodegroup"] = NodegroupJson(nodegroup) };
    });

    private JsonObject TagResource(EksCall call, JsonObject input) => Locked(() =>
    {
        var tags = FindTagged(call, (string)input["resourceArn"]!);
        var added = input["tags"]!.AsObject();
        CheckTags(added, "BadRequestException");
        foreach (var (k, v) in added) tags[k] = (string?)v ?? "";
        if (tags.Count > 50) throw new EksException("BadRequestException", "The number of tags on the resource would exceed 50.");
        state.Changed();
        return [];
    });

    private JsonObject UntagResource(EksCall call, JsonObject input) => Locked(() =>
    {
        var tags = FindTagged(call, (string)input["resourceArn"]!);
        foreach (var key in input["tagKeys"]!.AsArray()) tags.Remove((string)key!);
        state.Changed();
        return [];
    });

    private JsonObject StartNodegroupUpdate(ClusterState cluster, NodegroupState nodegroup, string type,
        List<KeyValuePair<string, string>> changes, string? token, JsonObject? pendingSpec, (string Version, string Release)? version)
    {
        var now = clock.GetUtcNow();
        var update = new UpdateState { Id = Guid.NewGuid().ToString(), Type = type, CreatedAt = now, NodegroupName = nodegroup.Name, ClientRequestToken = token, Params = changes };
        cluster.Updates.Add(update);
        nodegroup.Status = "UPDATING";
        nodegroup.ModifiedAt = now;
        nodegroup.PendingSpec = pendingSpec;
        if (version is { } v)
        {
            nodegroup.PendingSpec = (JsonObject)nodegroup.Spec.DeepClone();
            nodegroup.PendingSpec["_version"] = v.Version;
            nodegroup.PendingSpec["_releaseVersion"] = v.Release;
        }
        nodegroup.Pending = new PendingTransition(now + Lifecycle.NodegroupUpdate, "ACTIVE", update.Id);
        state.Changed();
        return new JsonObject { ["update"] = UpdateJson(update) };
    }

    private static JsonObject? RepeatedUpdate(ClusterState cluster, NodegroupState nodegroup, string? token) =>
        token is not null && cluster.Updates.FirstOrDefault(u => u.ClientRequestToken == token && u.NodegroupName == nodegroup.Name) is { } repeated
            ? new JsonObject { ["update"] = UpdateJson(repeated) }
            : null;

    private static void EnsureUpdatable(ClusterState cluster, NodegroupState nodegroup)
    {
        if (nodegroup.Status != "ACTIVE")
        {
            throw new EksException("ResourceInUseException", $"Nodegroup {nodegroup.Name} is currently {nodegroup.Status} and cannot be updated.", cluster.Name, nodegroup.Name);
        }
        if (cluster.Status != "ACTIVE")
        {
            throw new EksException("ResourceInUseException", $"Cluster {cluster.Name} is currently {cluster.Status}.", cluster.Name, nodegroup.Name);
        }
    }

    private void CheckNodegroupVersion(ClusterState cluster, string nodegroup, string version, string? current)
    {
        if (!options.EffectiveKubernetesVersions.Contains(version) || Compare(version, cluster.Version) > 0)
        {
            throw new EksException("InvalidParameterException",
                $"Requested Nodegroup version {version} is invalid. Allowed values are {cluster.Version} or earlier supported versions", cluster.Name, nodegroup);
        }
        if (current is not null && Compare(version, current) < 0)
        {
            throw new EksException("InvalidParameterException", $"Requested Nodegroup version {version} is older than the current version {current}", cluster.Name, nodegroup);
        }
    }

    private static void CheckScaling(JsonObject scaling, string cluster, string nodegroup)
    {
        var min = (int)scaling["minSize"]!;
        var max = (int)scaling["maxSize"]!;
        var desired = (int)scaling["desiredSize"]!;
        if (min > max) throw new EksException("InvalidParameterException", $"Minimum capacity {min} can't be greater than maximum capacity {max}", cluster, nodegroup);
        if (desired > max) throw new EksException("InvalidParameterException", $"Desired capacity {desired} can't be greater than maximum capacity {max}", cluster, nodegroup);
        if (desired < min) throw new EksException("InvalidParameterException", $"Minimum capacity {min} can't be greater than desired size {desired}", cluster, nodegroup);
    }

    private static void CheckTags(JsonObject? tags, string errorType)
    {
        if (tags is null) return;
        if (tags.Count > 50) throw new EksException(errorType, "A resource can have at most 50 tags.");
        if (tags.Select(t => t.Key).FirstOrDefault(k => k.StartsWith("aws:", StringComparison.OrdinalIgnoreCase)) is { } reserved)
        {
            throw new EksException(errorType, $"Tag keys starting with 'aws:' are reserved for AWS use: {reserved}");
        }
    }

    private ClusterState FindCluster(EksCall call, string name)
    {
        AdvanceAll();
        return InScope(call).FirstOrDefault(c => c.Name == name)
            ?? throw new EksException("ResourceNotFoundException", $"No cluster found for name: {name}.", name);
    }

    private (ClusterState Cluster, NodegroupState Nodegroup) FindNodegroup(EksCall call, JsonObject input)
    {
        var cluster = FindCluster(call, (string)input["clusterName"]!);
        return (cluster, FindNodegroup(cluster, (string)input["nodegroupName"]!));
    }

    private static NodegroupState FindNodegroup(ClusterState cluster, string name) =>
        cluster.Nodegroups.GetValueOrDefault(name)
            ?? throw new EksException("ResourceNotFoundException", $"No node group found for name: {name}.", cluster.Name, name);

    private Dictionary<string, string> FindTagged(EksCall call, string arn)
    {
        // arn:aws:eks:REGION:ACCOUNT:cluster/NAME or nodegroup/CLUSTER/NAME/UUID
        var parts = arn.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "eks" || !(parts[5].StartsWith("cluster/") || parts[5].StartsWith("nodegroup/")))
        {
            throw new EksException("BadRequestException", $"{arn} is not a valid resource ARN");
        }
        AdvanceAll();
        var cluster = state.Clusters.Values.FirstOrDefault(c => c.Arn == arn && c.AccountId == call.Caller.Identity.AccountId);
        if (cluster is not null) return cluster.Tags;
        var nodegroup = state.Clusters.Values.Where(c => c.AccountId == call.Caller.Identity.AccountId)
            .SelectMany(c => c.Nodegroups.Values).FirstOrDefault(n => n.Arn == arn);
        return nodegroup?.Tags ?? throw new EksException("NotFoundException", $"Resource {arn} not found");
    }

    private IEnumerable<ClusterState> InScope(EksCall call) =>
        state.Clusters.Values.Where(c => c.AccountId == call.Caller.Identity.AccountId && c.Region == call.Caller.Region);

    /// <summary>Applies every transition that is due. Call under the lock.</summary>
    private void AdvanceAll()
    {
        var now = clock.GetUtcNow();
        var changed = false;
        foreach (var cluster in state.Clusters.Values.ToList())
        {
            foreach (var nodegroup in cluster.Nodegroups.Values.ToList())
            {
                if (nodegroup.Pending is not { } np || np.At > now) continue;
                changed = true;
                nodegroup.Pending = null;
                nodegroup.ModifiedAt = np.At;
                if (np.To == "GONE")
                {
                    cluster.Nodegroups.Remove(nodegroup.Name);
                    continue;
                }
                if (nodegroup.PendingSpec is { } spec)
                {
                    if (spec["_version"] is { } version)
                    {
                        nodegroup.Version = (string)version!;
                        nodegroup.ReleaseVersion = (string)spec["_releaseVersion"]!;
                        spec.Remove("_version");
                        spec.Remove("_releaseVersion");
                    }
                    nodegroup.Spec = spec;
                    nodegroup.PendingSpec = null;
                }
                nodegroup.Status = np.To;
                Complete(cluster, np.UpdateId);
            }
            if (cluster.Pending is not { } cp || cp.At > now) continue;
            changed = true;
            cluster.Pending = null;
            if (cp.To == "GONE")
            {
                state.Clusters.Remove(cluster.Key);
                continue;
            }
            if (cp.UpdateId is not null && cluster.Updates.FirstOrDefault(u => u.Id == cp.UpdateId) is { } update)
            {
                cluster.Version = update.Params.First(p => p.Key == "Version").Value;
                cluster.PlatformVersion = "eks.1";
            }
            cluster.Status = cp.To;
            Complete(cluster, cp.UpdateId);
        }
        if (changed) state.Changed();
    }

    private static void Complete(ClusterState cluster, string? updateId)
    {
        if (updateId is not null && cluster.Updates.FirstOrDefault(u => u.Id == updateId) is { } update) update.Status = "Successful";
    }

    private JsonObject ClusterJson(ClusterState c, EksCall call)
    {
        var vpc = c.Request["resourcesVpcConfig"]?.AsObject();
        var network = c.Request["kubernetesNetworkConfig"]?.AsObject();
        var creating = c.Status == "CREATING";
        var json = new JsonObject
        {
            ["name"] = c.Name,
            ["arn"] = c.Arn,
            ["createdAt"] = Epoch(c.CreatedAt),
            ["version"] = c.Version,
            ["endpoint"] = creating ? null : $"{call.BaseUrl.TrimEnd('/')}/k8s/{c.Key}",
            ["roleArn"] = c.RoleArn,
            ["resourcesVpcConfig"] = new JsonObject
            {
                ["subnetIds"] = vpc?["subnetIds"]?.DeepClone() ?? new JsonArray(),
                ["securityGroupIds"] = vpc?["securityGroupIds"]?.DeepClone() ?? new JsonArray(),
                ["clusterSecurityGroupId"] = creating ? null : $"sg-{Hash(c.Arn, 17)}",
                ["vpcId"] = $"vpc-{Hash(string.Join(',', vpc?["subnetIds"]?.AsArray().Select(s => (string?)s) ?? []), 17)}",
                ["endpointPublicAccess"] = (bool?)vpc?["endpointPublicAccess"] ?? true,
                ["endpointPrivateAccess"] = (bool?)vpc?["endpointPrivateAccess"] ?? false,
                ["publicAccessCidrs"] = vpc?["publicAccessCidrs"]?.DeepClone() ?? new JsonArray("0.0.0.0/0"),
            },
            ["kubernetesNetworkConfig"] = new JsonObject
            {
                ["serviceIpv4Cidr"] = (string?)network?["serviceIpv4Cidr"] ?? "10.100.0.0/16",
                ["ipFamily"] = (string?)network?["ipFamily"] ?? "ipv4",
            },
            ["logging"] = c.Request["logging"]?.DeepClone() ?? new JsonObject
            {
                ["clusterLogging"] = new JsonArray(new JsonObject
                {
                    ["types"] = new JsonArray("api", "audit", "authenticator", "controllerManager", "scheduler"),
                    ["enabled"] = false,
                }),
            },
            ["identity"] = creating ? null : new JsonObject
            {
                ["oidc"] = new JsonObject { ["issuer"] = $"https://oidc.eks.{c.Region}.amazonaws.com/id/{Hash(c.Arn, 32)}" },
            },
            ["status"] = c.Status,
            ["certificateAuthority"] = creating ? new JsonObject() : new JsonObject { ["data"] = ca.PemBase64 },
            ["clientRequestToken"] = c.ClientRequestToken,
            ["platformVersion"] = c.PlatformVersion,
            // TagMap has min 1: EKS leaves tags out rather than sending an empty map.
            ["tags"] = c.Tags.Count == 0 ? null : ToJson(c.Tags),
            ["accessConfig"] = new JsonObject
            {
                ["authenticationMode"] = (string?)c.Request["accessConfig"]?["authenticationMode"] ?? "API_AND_CONFIG_MAP",
            },
            ["upgradePolicy"] = new JsonObject { ["supportType"] = (string?)c.Request["upgradePolicy"]?["supportType"] ?? "EXTENDED" },
        };
        return WithoutNulls(json);
    }

    private static JsonObject NodegroupJson(NodegroupState n)
    {
        var json = new JsonObject
        {
            ["nodegroupName"] = n.Name,
            ["nodegroupArn"] = n.Arn,
            ["clusterName"] = n.ClusterName,
            ["version"] = n.Version,
            ["releaseVersion"] = n.ReleaseVersion,
            ["createdAt"] = Epoch(n.CreatedAt),
            ["modifiedAt"] = Epoch(n.ModifiedAt),
            ["status"] = n.Status,
        };
        foreach (var (key, value) in n.Spec) json[key] = value?.DeepClone();
        json["resources"] = n.Status == "CREATING" ? null : new JsonObject
        {
            ["autoScalingGroups"] = new JsonArray(new JsonObject { ["name"] = $"eks-{n.Name}-{Hash(n.Arn, 32)}" }),
        };
        json["health"] = new JsonObject { ["issues"] = new JsonArray() };
        json["tags"] = n.Tags.Count == 0 ? null : ToJson(n.Tags);
        return WithoutNulls(json);
    }

    private static JsonObject UpdateJson(UpdateState u) => new()
    {
        ["id"] = u.Id,
        ["status"] = u.Status,
        ["type"] = u.Type,
        ["params"] = new JsonArray([.. u.Params.Select(p => (JsonNode)new JsonObject { ["type"] = p.Key, ["value"] = p.Value })]),
        ["createdAt"] = Epoch(u.CreatedAt),
        ["errors"] = new JsonArray(),
    };

    /// <summary>Pages by position; the token is opaque to clients, as EKS's is.</summary>
    private static (IReadOnlyList<string> Page, string? Next) Page(IEnumerable<string> items, JsonObject input, bool sort = true)
    {
        var all = sort ? items.Order(StringComparer.Ordinal).ToList() : items.ToList();
        var max = (int?)input["maxResults"] ?? 100;
        var start = 0;
        if ((string?)input["nextToken"] is { } token)
        {
            try
            {
                start = int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':')[1]);
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
            {
                throw new EksException("InvalidParameterException", "The nextToken is invalid.");
            }
        }
        var page = all.Skip(start).Take(max).ToList();
        var next = start + max < all.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes($"page:{start + max}")) : null;
        return (page, next);
    }

    private JsonObject Locked(Func<JsonObject> action)
    {
        lock (state.Gate) return action();
    }

    private static string Name(JsonObject input) => (string)input["name"]!;

    private static bool IsRoleArn(string arn) => arn.StartsWith("arn:aws:iam::", StringComparison.Ordinal) && arn.Contains(":role/", StringComparison.Ordinal);

    private static int Major(string version) => int.Parse(version.Split('.')[0]);

    private static int Minor(string version) => int.Parse(version.Split('.')[1]);

    private static int Compare(string a, string b) => (Major(a), Minor(a)).CompareTo((Major(b), Minor(b)));

    private static string ReleaseFor(string version) => $"{version}.0-20251101";

    private static double Epoch(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 1000.0;

    private static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    private static string Hash(string value, int length) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..length];

    private static Dictionary<string, string> ToDictionary(JsonNode? tags) =>
        tags?.AsObject().ToDictionary(t => t.Key, t => (string?)t.Value ?? "") ?? [];

    private static JsonObject ToJson(Dictionary<string, string> tags) => new([.. tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))]);

    private static JsonArray ToJson(IEnumerable<string> items) => new([.. items.Select(i => (JsonNode)i)]);

    /// <summary>EKS omits members it has no value for rather than sending null.</summary>
    private static JsonObject WithoutNulls(JsonObject json)
    {
        foreach (var key in json.Where(p => p.Value is null).Select(p => p.Key).ToList()) json.Remove(key);
        foreach (var nested in json.Select(p => p.Value).OfType<JsonObject>()) WithoutNulls(nested);
        return json;
    }
}
