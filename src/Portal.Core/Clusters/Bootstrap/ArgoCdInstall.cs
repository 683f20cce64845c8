using System.Text.Json.Nodes;

namespace Portal.Core.Clusters.Bootstrap;

/// <summary>
/// Argo CD itself, as the portal installs it into the <c>argocd</c> namespace of every new cluster: the non-HA shape of
/// Argo CD's own install (service accounts, RBAC, the three ConfigMaps it reads, services, the repo-server, server and
/// Redis Deployments, the application-controller StatefulSet). Our own rendering, built after reading argoproj/argo-cd's
/// <c>manifests/base</c> and <c>manifests/cluster-rbac</c> (component names, ports, commands, RBAC rules, the Redis
/// password Secret <c>argocd-redis</c> that the Redis Deployment's <c>secret-init</c> container creates). Left out on
/// purpose: Dex (the portal is the front door, nobody signs in to Argo CD), the ApplicationSet and notifications
/// controllers, network policies. Every object is validated by the API server's schema when the reconciler applies it.
/// </summary>
public static class ArgoCdInstall
{
    public const string Version = "v3.5.1";
    public const string Image = "quay.io/argoproj/argocd:" + Version;

    /// <summary>The Redis image Argo CD 3.5's install runs (public ECR mirror of Docker's official image).</summary>
    public const string RedisImage = "public.ecr.aws/docker/library/redis:8.2.3-alpine";

    public const string ApplicationController = "argocd-application-controller";
    public const string RepoServer = "argocd-repo-server";
    public const string Server = "argocd-server";
    public const string Redis = "argocd-redis";

    /// <summary>The workloads that must be available before Applications can sync: (apiVersion kind, name).</summary>
    public static IReadOnlyList<(string Kind, string Name)> Workloads { get; } =
    [
        ("Deployment", Redis),
        ("Deployment", RepoServer),
        ("Deployment", Server),
        ("StatefulSet", ApplicationController),
    ];

    private const string Ns = BootstrapManifests.ArgoNamespace;

    /// <summary>In apply order: identities and permissions, configuration, services, then the workloads that use them.</summary>
    public static IEnumerable<JsonObject> Objects()
    {
        foreach (var account in new[] { ApplicationController, RepoServer, Server, Redis })
            yield return Object("v1", "ServiceAccount", account, Component(account));

        // Namespaced: its own configuration and the Argo CD resources it reconciles.
        yield return Object("rbac.authorization.k8s.io/v1", "Role", ApplicationController, "application-controller", o => o["rules"] = Rules(
            Rule("", ["secrets", "configmaps"], "get", "list", "watch"),
            Rule("argoproj.io", ["applications", "appprojects"], "create", "get", "list", "watch", "update", "patch", "delete"),
            Rule("", ["events"], "create", "list"),
            Rule("apps", ["deployments"], "get", "list", "watch")));
        yield return Object("rbac.authorization.k8s.io/v1", "Role", Server, "server", o => o["rules"] = Rules(
            Rule("", ["secrets", "configmaps"], "create", "get", "list", "watch", "update", "patch", "delete"),
            Rule("argoproj.io", ["applications", "appprojects"], "create", "get", "list", "watch", "update", "delete", "patch"),
            Rule("", ["events"], "create", "list")));
        // Redis' secret-init container creates the password Secret once and reads it afterwards.
        yield return Object("rbac.authorization.k8s.io/v1", "Role", Redis, "redis", o => o["rules"] = Rules(
            Rule("", ["secrets"], "get").With("resourceNames", new JsonArray(Redis)),
            Rule("", ["secrets"], "create")));
        // Cluster-wide: the controller deploys anything an Application holds; the server reads and deletes live objects for the UI.
        yield return Object("rbac.authorization.k8s.io/v1", "ClusterRole", ApplicationController, "application-controller", o => o["rules"] = Rules(
            Rule("*", ["*"], "*"),
            new JsonObject { ["nonResourceURLs"] = new JsonArray("*"), ["verbs"] = new JsonArray("*") }), clusterScoped: true);
        yield return Object("rbac.authorization.k8s.io/v1", "ClusterRole", Server, "server", o => o["rules"] = Rules(
            Rule("*", ["*"], "delete", "get", "patch"),
            Rule("", ["events"], "list"),
            Rule("", ["pods", "pods/log"], "get")), clusterScoped: true);
        foreach (var (name, component) in new[] { (ApplicationController, "application-controller"), (Server, "server"), (Redis, "redis") })
            yield return Binding("RoleBinding", name, component);
        foreach (var (name, component) in new[] { (ApplicationController, "application-controller"), (Server, "server") })
            yield return Binding("ClusterRoleBinding", name, component);

        // argocd-server fills in its own signing key; the install ships the Secret empty.
        var secret = Object("v1", "Secret", "argocd-secret", "server");
        secret["metadata"]!["labels"]!["app.kubernetes.io/name"] = "argocd-secret";
        secret["type"] = "Opaque";
        yield return secret;
        yield return ConfigMap("argocd-cm", new JsonObject
        {
            // The portal talks to Argo CD through Kubernetes only: no Argo CD UI users, no anonymous access.
            ["admin.enabled"] = "false",
            ["users.anonymous.enabled"] = "false",
            ["timeout.reconciliation"] = "180s",
        });
        yield return ConfigMap("argocd-rbac-cm", new JsonObject { ["policy.default"] = "role:readonly" });
        yield return ConfigMap("argocd-cmd-params-cm", new JsonObject
        {
            ["repo.server"] = $"{RepoServer}:8081",
            ["redis.server"] = $"{Redis}:6379",
            ["server.insecure"] = "false",
            ["application.namespaces"] = "",
        });

        yield return Service(Redis, "redis", ("tcp-redis", 6379, 6379));
        yield return Service(RepoServer, "repo-server", ("https-argocdreposerver", 8081, 8081), ("http-argocdreposervermetrics", 8084, 8084));
        yield return Service(Server, "server", ("http", 80, 8080), ("https", 443, 8080));
        yield return Service("argocd-server-metrics", "server", ("http-metrics", 8083, 8083), selector: Server);
        yield return Service("argocd-metrics", "application-controller", ("http-metrics", 8082, 8082), selector: ApplicationController);

        yield return RedisDeployment();
        yield return RepoServerDeployment();
        yield return ServerDeployment();
        yield return ControllerStatefulSet();
    }

    /// <summary>
    /// Whether a Deployment or StatefulSet has caught up with its spec and has every replica available; null when it
    /// is, else what it is waiting for (in words for the timeline).
    /// </summary>
    public static string? NotAvailable(JsonObject? workload)
    {
        if (workload is null) return "not created";
        var generation = Number(workload["metadata"]?["generation"]) ?? 1;
        var observed = Number(workload["status"]?["observedGeneration"]) ?? 0;
        var replicas = Number(workload["spec"]?["replicas"]) ?? 1;
        // StatefulSets report availableReplicas since 1.22 (minReadySeconds); readyReplicas covers older API servers.
        var available = Number(workload["status"]?["availableReplicas"]) ?? Number(workload["status"]?["readyReplicas"]) ?? 0;
        if (observed < generation) return "rolling out";
        return available >= replicas ? null : $"{available}/{replicas} available";
    }

    private static long? Number(JsonNode? node) =>
        node is JsonValue value ? value.TryGetValue<long>(out var l) ? l : value.TryGetValue<int>(out var i) ? i : null : null;

    private static JsonObject RedisDeployment() => Workload("Deployment", Redis, "redis", new JsonObject
    {
        ["serviceAccountName"] = Redis,
        ["securityContext"] = new JsonObject { ["runAsNonRoot"] = true, ["runAsUser"] = 999, ["seccompProfile"] = RuntimeDefault() },
        // Creates the argocd-redis Secret with a random password on first start; every component reads it.
        ["initContainers"] = new JsonArray(Container("secret-init", Image, command: ["argocd", "admin", "redis-initial-password"])),
        ["containers"] = new JsonArray(Container("redis", RedisImage,
            args: ["--save", "", "--appendonly", "no", "--requirepass $(REDIS_PASSWORD)"],
            env: [RedisPassword()], ports: [6379])),
    });

    private static JsonObject RepoServerDeployment() => Workload("Deployment", RepoServer, "repo-server", new JsonObject
    {
        ["serviceAccountName"] = RepoServer,
        ["automountServiceAccountToken"] = false,
        // Copies the argocd binary where config management plugins find it, as Argo CD's install does.
        ["initContainers"] = new JsonArray(Container("copyutil", Image, command: ["sh", "-c"],
            args: ["/bin/cp --update=none /usr/local/bin/argocd /var/run/argocd/argocd && /bin/ln -s /var/run/argocd/argocd /var/run/argocd/argocd-cmp-server"],
            mounts: [("var-files", "/var/run/argocd")])),
        ["containers"] = new JsonArray(Container(RepoServer, Image, args: ["/usr/local/bin/argocd-repo-server"],
            env: [RedisPassword(), Param("REDIS_SERVER", "redis.server"), Param("ARGOCD_RECONCILIATION_TIMEOUT", "timeout.reconciliation", "argocd-cm"),
                  new JsonObject { ["name"] = "HELM_CACHE_HOME", ["value"] = "/helm-working-dir" },
                  new JsonObject { ["name"] = "HELM_CONFIG_HOME", ["value"] = "/helm-working-dir" },
                  new JsonObject { ["name"] = "HELM_DATA_HOME", ["value"] = "/helm-working-dir" }],
            ports: [8081, 8084], probePort: 8084,
            mounts: [("tmp", "/tmp"), ("helm-working-dir", "/helm-working-dir"), ("plugins", "/home/argocd/cmp-server/plugins"), ("gpg-keyring", "/app/config/gpg/keys")])),
        ["volumes"] = EmptyDirs("var-files", "tmp", "helm-working-dir", "plugins", "gpg-keyring"),
        ["nodeSelector"] = new JsonObject { ["kubernetes.io/os"] = "linux" },
    });

    private static JsonObject ServerDeployment() => Workload("Deployment", Server, "server", new JsonObject
    {
        ["serviceAccountName"] = Server,
        ["containers"] = new JsonArray(Container(Server, Image, args: ["/usr/local/bin/argocd-server"],
            env: [RedisPassword(), Param("REDIS_SERVER", "redis.server"), Param("ARGOCD_SERVER_REPO_SERVER", "repo.server"),
                  Param("ARGOCD_SERVER_INSECURE", "server.insecure")],
            ports: [8080, 8083], probePort: 8080, mounts: [("tmp", "/tmp"), ("plugins-home", "/home/argocd")])),
        ["volumes"] = EmptyDirs("tmp", "plugins-home"),
        ["nodeSelector"] = new JsonObject { ["kubernetes.io/os"] = "linux" },
    });

    private static JsonObject ControllerStatefulSet()
    {
        var set = Workload("StatefulSet", ApplicationController, "application-controller", new JsonObject
        {
            ["serviceAccountName"] = ApplicationController,
            ["containers"] = new JsonArray(Container(ApplicationController, Image, command: ["argocd-application-controller"],
                env: [RedisPassword(), new JsonObject { ["name"] = "ARGOCD_CONTROLLER_REPLICAS", ["value"] = "1" },
                      Param("ARGOCD_APPLICATION_CONTROLLER_REPO_SERVER", "repo.server"), Param("REDIS_SERVER", "redis.server"),
                      Param("ARGOCD_RECONCILIATION_TIMEOUT", "timeout.reconciliation", "argocd-cm")],
                ports: [8082], probePort: 8082, mounts: [("argocd-home", "/home/argocd")], workingDir: "/home/argocd")),
            ["volumes"] = EmptyDirs("argocd-home"),
        });
        set["spec"]!["serviceName"] = ApplicationController;
        return set;
    }

    // ---- building blocks ----

    private static JsonObject Workload(string kind, string name, string component, JsonObject podSpec)
    {
        var workload = Object("apps/v1", kind, name, component);
        workload["spec"] = new JsonObject
        {
            ["replicas"] = 1,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app.kubernetes.io/name"] = name, ["app.kubernetes.io/part-of"] = "argocd" } },
                ["spec"] = podSpec,
            },
        };
        return workload;
    }

    private static JsonObject Container(string name, string image, string[]? command = null, string[]? args = null, JsonObject[]? env = null,
        int[]? ports = null, int? probePort = null, (string Volume, string Path)[]? mounts = null, string? workingDir = null)
    {
        var container = new JsonObject { ["name"] = name, ["image"] = image, ["imagePullPolicy"] = "IfNotPresent" };
        if (command is not null) container["command"] = Strings(command);
        if (args is not null) container["args"] = Strings(args);
        if (env is not null) container["env"] = new JsonArray(env.Select(e => (JsonNode?)e).ToArray());
        if (ports is not null) container["ports"] = new JsonArray(ports.Select(p => (JsonNode?)new JsonObject { ["containerPort"] = p, ["protocol"] = "TCP" }).ToArray());
        if (probePort is { } port)
            container["readinessProbe"] = new JsonObject
            {
                ["httpGet"] = new JsonObject { ["path"] = "/healthz", ["port"] = port },
                ["initialDelaySeconds"] = 5,
                ["periodSeconds"] = 10,
            };
        if (workingDir is not null) container["workingDir"] = workingDir;
        if (mounts is not null)
            container["volumeMounts"] = new JsonArray(mounts.Select(m => (JsonNode?)new JsonObject { ["name"] = m.Volume, ["mountPath"] = m.Path }).ToArray());
        container["securityContext"] = new JsonObject
        {
            ["runAsNonRoot"] = true,
            ["readOnlyRootFilesystem"] = true,
            ["allowPrivilegeEscalation"] = false,
            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
            ["seccompProfile"] = RuntimeDefault(),
        };
        return container;
    }

    private static JsonObject RedisPassword() => new()
    {
        ["name"] = "REDIS_PASSWORD",
        ["valueFrom"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["name"] = Redis, ["key"] = "auth" } },
    };

    private static JsonObject Param(string variable, string key, string configMap = "argocd-cmd-params-cm") => new()
    {
        ["name"] = variable,
        ["valueFrom"] = new JsonObject { ["configMapKeyRef"] = new JsonObject { ["name"] = configMap, ["key"] = key, ["optional"] = true } },
    };

    private static JsonArray EmptyDirs(params string[] names) =>
        new(names.Select(n => (JsonNode?)new JsonObject { ["name"] = n, ["emptyDir"] = new JsonObject() }).ToArray());

    private static JsonObject RuntimeDefault() => new() { ["type"] = "RuntimeDefault" };

    private static JsonObject Service(string name, string component, params (string Name, int Port, int Target)[] ports) =>
        Service(name, component, ports, selector: null);

    private static JsonObject Service(string name, string component, (string Name, int Port, int Target) port, string selector) =>
        Service(name, component, [port], selector);

    private static JsonObject Service(string name, string component, (string Name, int Port, int Target)[] ports, string? selector)
    {
        var service = Object("v1", "Service", name, component);
        service["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["app.kubernetes.io/name"] = selector ?? name },
            ["ports"] = new JsonArray(ports.Select(p => (JsonNode?)new JsonObject
            {
                ["name"] = p.Name, ["protocol"] = "TCP", ["port"] = p.Port, ["targetPort"] = p.Target,
            }).ToArray()),
        };
        return service;
    }

    private static JsonObject ConfigMap(string name, JsonObject data)
    {
        var map = Object("v1", "ConfigMap", name, null);
        map["metadata"]!["labels"]!["app.kubernetes.io/name"] = name;
        map["data"] = data;
        return map;
    }

    private static JsonObject Binding(string kind, string name, string component)
    {
        var clusterScoped = kind == "ClusterRoleBinding";
        var binding = Object("rbac.authorization.k8s.io/v1", kind, name, component, clusterScoped: clusterScoped);
        binding["roleRef"] = new JsonObject
        {
            ["apiGroup"] = "rbac.authorization.k8s.io",
            ["kind"] = clusterScoped ? "ClusterRole" : "Role",
            ["name"] = name,
        };
        binding["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = name, ["namespace"] = Ns });
        return binding;
    }

    private static JsonObject Object(string apiVersion, string kind, string name, string? component, Action<JsonObject>? body = null, bool clusterScoped = false)
    {
        var labels = new JsonObject
        {
            ["app.kubernetes.io/name"] = name,
            ["app.kubernetes.io/part-of"] = "argocd",
            [BootstrapManifests.ManagedByLabel] = BootstrapManifests.ManagedBy,
        };
        if (component is not null) labels["app.kubernetes.io/component"] = component;
        var metadata = new JsonObject { ["name"] = name };
        if (!clusterScoped) metadata["namespace"] = Ns;
        metadata["labels"] = labels;
        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = metadata };
        body?.Invoke(obj);
        return obj;
    }

    private static string Component(string account) => account switch
    {
        ApplicationController => "application-controller",
        RepoServer => "repo-server",
        Server => "server",
        _ => "redis",
    };

    private static JsonObject Rule(string group, string[] resources, params string[] verbs) => new()
    {
        ["apiGroups"] = new JsonArray(group),
        ["resources"] = Strings(resources),
        ["verbs"] = Strings(verbs),
    };

    private static JsonObject With(this JsonObject obj, string key, JsonNode value)
    {
        obj[key] = value;
        return obj;
    }

    private static JsonArray Rules(params JsonObject[] rules) => new(rules.Select(r => (JsonNode?)r).ToArray());

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());
}
