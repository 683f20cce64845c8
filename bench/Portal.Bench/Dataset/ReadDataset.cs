using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Core.Addons.Catalog;
using Portal.Core.Addons.Installations;
using Portal.Core.Clusters;
using Portal.Core.Endpoints.Resource;
using Portal.Core.Endpoints.Spec;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tokens;
using Portal.Core.Users;
using Portal.Testing;

namespace Portal.Bench.Dataset;

/// <summary>A cluster the load generator reads, with a member of its team (by OIDC subject) to read it as.</summary>
public sealed record ClusterTarget(string Team, string Cluster, string MemberSubject);

/// <summary>
/// The read benchmarks' dataset (issue 10): at scale 1, 10,000 teams, ~30,000 clusters with their node pools,
/// ~300,000 add-on installations, ~30,000 inference endpoints, ~40,000 members with one access token each. Most teams
/// are small (one to two clusters), a few are big (hundreds), as in a real company. Seeded by binary COPY into a fresh
/// database migrated with the real PostgreSQL migrations; every row is a converged, valid resource the portal reads
/// without errors. Built once per scale and run, then shared by P1, P4 and P5.
/// </summary>
public sealed class ReadDataset
{
    public const string AdminSubject = "bench|admin";
    private static readonly Dictionary<double, ReadDataset> Built = [];
    private static readonly DateTimeOffset Epoch = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private ReadDataset(string connectionString, double scale)
    {
        ConnectionString = connectionString;
        Scale = scale;
    }

    public string ConnectionString { get; }
    public double Scale { get; }
    public int Teams { get; private set; }
    public int Clusters { get; private set; }
    public int NodePools { get; private set; }
    public int Addons { get; private set; }
    public int Endpoints { get; private set; }
    public int Users { get; private set; }
    public TimeSpan SeedTime { get; private set; }

    /// <summary>Clusters of small and medium teams, to spread reads over the whole table.</summary>
    public IReadOnlyList<ClusterTarget> Targets { get; private set; } = [];

    /// <summary>Teams with hundreds of clusters: a platform admin pages through these.</summary>
    public IReadOnlyList<string> BigTeams { get; private set; } = [];

    public static async Task<ReadDataset> GetAsync(BenchContext context, double scale, CancellationToken ct)
    {
        if (Built.TryGetValue(scale, out var existing)) return existing;
        var watch = Stopwatch.StartNew();
        var name = $"bench_read_{(int)Math.Round(scale * 1000)}_{Environment.ProcessId}";
        var admin = new NpgsqlConnectionStringBuilder(context.Settings.PostgresConnectionString);
        await using (var server = new NpgsqlConnection(admin.ConnectionString))
        {
            await server.OpenAsync(ct);
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE); ", server);
            await drop.ExecuteNonQueryAsync(ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", server);
            await create.ExecuteNonQueryAsync(ct);
        }
        var connectionString = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name, MaxPoolSize = 100 }.ConnectionString;
        var dataset = new ReadDataset(connectionString, scale);
        await using (var db = PostgresServer.CreateContext(connectionString))
        {
            await db.Database.MigrateAsync(ct);
            await dataset.SeedAsync(db, ct);
        }
        dataset.SeedTime = watch.Elapsed;
        context.Log.WriteLine($"  dataset {scale:0.##}: {dataset.Teams:N0} teams, {dataset.Clusters:N0} clusters, {dataset.NodePools:N0} node pools, " +
                              $"{dataset.Addons:N0} add-ons, {dataset.Endpoints:N0} endpoints, {dataset.Users:N0} members in {watch.Elapsed.TotalSeconds:0.0} s");
        Built[scale] = dataset;
        return dataset;
    }

    /// <summary>Clusters per team by rank: 0.1% of teams have 300, 0.9% have 40, 9% have 8, the rest 1 or 2 (≈ 3 per team).</summary>
    private static int ClustersOf(int rank, int teams) =>
        rank < Math.Max(1, teams / 1000) ? 300
        : rank < teams / 100 ? 40
        : rank < teams / 10 ? 8
        : rank % 5 == 0 ? 1 : 2;

    /// <summary>Members by team size: big teams have dozens, small ones three.</summary>
    private static int MembersOf(int clusters) => clusters >= 300 ? 60 : clusters >= 40 ? 25 : clusters >= 8 ? 8 : 3;

    private async Task SeedAsync(PortalDbContext db, CancellationToken ct)
    {
        var catalog = AddonCatalog.Load(Path.Combine(BenchPaths.Root, "catalog"));
        // Each add-on at its newest stable version (allowed in every environment), else its newest.
        var addonChoices = catalog.Entries
            .Select(e => (e.Id, Version: (e.Versions.FirstOrDefault(v => v.Maturity == Maturity.Stable) ?? e.Versions[0]).Version))
            .ToList();
        var versions = ClusterOptions.DefaultKubernetesVersions;
        var random = new Random(10);
        var copy = new ModelCopy(db);
        var teamCount = Math.Max(10, (int)Math.Round(10_000 * Scale));

        var users = new List<User>();
        var teams = new List<Team>();
        var memberships = new List<Membership>();
        var environments = new List<TeamEnvironment>();
        var clusters = new List<Cluster>();
        var targets = new List<ClusterTarget>();
        var bigTeams = new List<string>();
        var adminUser = NewUser(AdminSubject, "admin@bench.example", "Bench admin", admin: true);
        users.Add(adminUser);

        for (var rank = 0; rank < teamCount; rank++)
        {
            var slug = $"team-{rank:D5}";
            var clusterCount = ClustersOf(rank, teamCount);
            var members = Enumerable.Range(0, MembersOf(clusterCount))
                .Select(m => NewUser($"bench|{slug}-u{m}", $"{slug}-u{m}@bench.example", $"{slug} member {m}", admin: false)).ToList();
            users.AddRange(members);
            var team = new Team
            {
                Slug = slug, DisplayName = $"Team {rank}", Description = "Seeded by the read benchmarks.",
                CostCentre = $"CC-{rank % 97:D3}", CreatedByUserId = members[0].Id, CreatedAt = Epoch, Version = 1,
            };
            teams.Add(team);
            memberships.AddRange(members.Select((u, i) => new Membership
            {
                TeamId = team.Id, UserId = u.Id, Role = i == 0 ? TeamRole.Owner : i < 3 ? TeamRole.Maintainer : TeamRole.Viewer,
                Source = MembershipSource.Portal, AddedAt = Epoch, Version = 1,
            }));
            var teamEnvironments = Enum.GetValues<EnvironmentName>().Select(env => new TeamEnvironment
            {
                TeamId = team.Id, Name = env, AwsAccountId = (100_000_000_000L + rank * 3L + (int)env).ToString(CultureInfo.InvariantCulture),
                Region = "eu-west-1", ProvisionerRoleArn = $"arn:aws:iam::{100_000_000_000L + rank * 3L + (int)env}:role/unicron-provisioner",
                ExternalId = $"unicron-{team.Id:N}", ReliabilityTier = env == EnvironmentName.Prod ? ReliabilityTier.Critical : ReliabilityTier.Standard,
                CreatedAt = Epoch, Version = 1,
            }).ToList();
            environments.AddRange(teamEnvironments);
            for (var c = 0; c < clusterCount; c++)
            {
                var environment = teamEnvironments[c % teamEnvironments.Count];
                var cluster = NewCluster(team, slug, environment, $"c{c:D3}", versions[random.Next(versions.Count)], gpu: c % 10 == 3);
                clusters.Add(cluster);
                if (clusterCount < 300) targets.Add(new ClusterTarget(slug, cluster.Name, members[c % members.Count].Subject!));
            }
            if (clusterCount >= 300) bigTeams.Add(slug);
        }

        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        Users = await copy.CopyAsync(connection, users, ct);
        Teams = await copy.CopyAsync(connection, teams, ct);
        await copy.CopyAsync(connection, memberships, ct);
        await copy.CopyAsync(connection, environments, ct);
        // One token per member (hashes of random secrets nobody holds): the token index is as big as a real one's.
        await copy.CopyAsync(connection, users.Select(u => new ApiToken
        {
            Name = "seeded", UserId = u.Id, Scopes = TokenScopes.Read, SecretHash = TokenService.Hash(TokenService.SecretPrefix + Convert.ToHexString(RandomNumberGenerator.GetBytes(16))),
            SecretHint = "ucp_pat_seed…", CreatedAt = Epoch, ExpiresAt = Epoch.AddYears(2), Version = 1,
        }), ct);
        Clusters = await copy.CopyAsync(connection, clusters, ct);
        NodePools = await copy.CopyAsync(connection, clusters.SelectMany(c => c.NodePools), ct);
        // Four to sixteen add-ons per cluster (ten on average), each a distinct catalogue entry, Healthy.
        Addons = await copy.CopyAsync(connection, clusters.SelectMany((c, i) =>
            Enumerable.Range(0, Math.Min(addonChoices.Count, 4 + i * 7 % 13)).Select(k => NewAddon(c, addonChoices[(i + k) % addonChoices.Count]))), ct);
        // Zero, one or two endpoints per cluster (one on average).
        Endpoints = await copy.CopyAsync(connection, clusters.SelectMany((c, i) => Enumerable.Range(0, i % 3).Select(k => NewEndpoint(c, k))), ct);
        await using (var analyze = new NpgsqlCommand("ANALYZE", connection)) await analyze.ExecuteNonQueryAsync(ct);

        Targets = targets.OrderBy(_ => random.Next()).Take(2_000).ToList();
        BigTeams = bigTeams;
    }

    private static User NewUser(string subject, string email, string name, bool admin) => new()
    {
        Subject = subject, Email = email, DisplayName = name, IsPlatformAdmin = admin, FirstSeenAt = Epoch, LastSeenAt = Epoch, Version = 1,
    };

    private static Cluster NewCluster(Team team, string slug, TeamEnvironment environment, string name, string version, bool gpu)
    {
        var label = environment.Name.ToString().ToLowerInvariant();
        var cluster = new Cluster
        {
            TeamId = team.Id, EnvironmentId = environment.Id, Name = name, EksName = $"{slug}-{label}-{name}", Kind = ClusterKind.Managed,
            KubernetesVersion = version, EndpointAccess = EndpointAccess.Public,
            Tags = new() { ["team"] = slug, ["cost-centre"] = team.CostCentre! },
            Generation = 1, Phase = ClusterPhase.Ready, ObservedGeneration = 1, CurrentVersion = version,
            Message = "The cluster and its node pools are active.", KubernetesEndpoint = $"https://{slug}-{name}.eks.example",
            CertificateAuthority = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t", EksArn = $"arn:aws:eks:eu-west-1:{environment.AwsAccountId}:cluster/{slug}-{label}-{name}",
            Conditions = [new ClusterCondition("Ready", "True", "Active", "EKS reports ACTIVE.", Epoch)],
            NextAttemptAtUnixMs = 0, CreatedByUserId = team.CreatedByUserId, CreatedAt = Epoch, UpdatedAt = Epoch, Version = 3,
        };
        cluster.NodePools.Add(NewPool(cluster, "system", ["m6i.large"], CapacityType.OnDemand, gpu: false));
        cluster.NodePools.Add(NewPool(cluster, "spot", ["m5.xlarge", "m6i.xlarge"], CapacityType.Spot, gpu: false));
        if (gpu) cluster.NodePools.Add(NewPool(cluster, "gpu", ["g5.xlarge"], CapacityType.OnDemand, gpu: true));
        return cluster;
    }

    private static NodePool NewPool(Cluster cluster, string name, List<string> types, CapacityType capacity, bool gpu) => new()
    {
        ClusterId = cluster.Id, Name = name, InstanceTypes = types, CapacityType = capacity, MinSize = gpu ? 0 : 1, DesiredSize = 2, MaxSize = 6,
        Labels = new() { ["pool"] = name }, Taints = gpu ? [NodePool.GpuTaint] : [], AmiType = gpu ? NodePool.NvidiaAmiType : NodePool.StandardAmiType,
        IsGpu = gpu, ObservedStatus = "ACTIVE", CurrentVersion = cluster.KubernetesVersion,
        NodegroupArn = $"{cluster.EksArn}/nodegroup/{name}",
    };

    private static AddonInstallation NewAddon(Cluster cluster, (string Id, string Version) addon) => new()
    {
        TeamId = cluster.TeamId, ClusterId = cluster.Id, AddonId = addon.Id, CatalogVersion = addon.Version, ValuesJson = "{}",
        Generation = 1, Phase = AddonPhase.Healthy, ObservedGeneration = 1, SyncStatus = "Synced", HealthStatus = "Healthy",
        Message = "Argo CD reports Synced and Healthy.",
        Conditions = [new AddonCondition("Ready", "True", "Healthy", "Synced and Healthy.", Epoch)],
        CreatedByUserId = cluster.CreatedByUserId, CreatedAt = Epoch, UpdatedAt = Epoch, Version = 2,
    };

    private static InferenceEndpoint NewEndpoint(Cluster cluster, int index)
    {
        var name = $"model-{index}";
        return new InferenceEndpoint
        {
            TeamId = cluster.TeamId, ClusterId = cluster.Id, Name = name,
            Spec = new EndpointSpec(name, EndpointRuntime.Triton, new ModelSource($"s3://models/{cluster.Name}/{name}", name, "1"),
                EndpointProtocol.Http, new GpuRequest("A10G"), new ComputeRequest("2", "8Gi"),
                new AutoscalingSpec(1, 4, [new ScalingTrigger(ScalingTriggerKind.GpuUtilization, 70)])),
            Generation = 1, Phase = EndpointPhase.Ready, ObservedGeneration = 1, ReadyReplicas = 1, DesiredReplicas = 1,
            Urls = [$"https://{name}.{cluster.EksName}.example"], Message = "Serving.",
            Conditions = [new EndpointCondition("Ready", "True", "Serving", "All replicas ready.", Epoch)],
            CreatedByUserId = cluster.CreatedByUserId, CreatedAt = Epoch, UpdatedAt = Epoch, Version = 2,
        };
    }
}
