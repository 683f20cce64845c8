namespace Portal.Api.Tests.Security;

/// <summary>
/// A body the portal accepts, for every write operation that takes JSON, against the things <see cref="InputWorld"/>
/// made (team, "dev" environment, cluster "main", add-on cert-manager, endpoint "resnet"). Every optional object is
/// filled in, so each string field has a place to be made invalid. An operation whose fields only exist in some shapes
/// (an endpoint's custom runtime) has one body per shape; a field is tested in the first body that has its parent.
/// <c>{ownerEmail}</c> (a user who exists) and <c>{in30days}</c> (a date-time) are filled in by the test.
/// </summary>
public static class ValidBodies
{
    private const string Team = "/api/v1/teams/{team}";
    private const string Cluster = Team + "/clusters/{cluster}";

    private const string NodePool = "{'name':'batch','instanceTypes':['m5.large'],'minSize':1,'desiredSize':2,'maxSize':3,'capacityType':'spot','diskSizeGiB':50," +
            "'labels':{'workload':'batch'},'taints':[{'key':'dedicated','value':'batch','effect':'no-schedule'}]," +
            "'schedule':{'timeZone':'Europe/Madrid','workingDays':['Monday','Tuesday'],'start':'08:00','end':'18:00'}}";

    private const string Autoscaling = "{'minReplicas':1,'maxReplicas':4,'pollingIntervalSeconds':15,'cooldownSeconds':300," +
            "'triggers':[{'kind':'prometheus','threshold':10,'activationThreshold':1,'query':'sum(rate(requests_total[1m]))'," +
            "'serverAddress':'http://prometheus.monitoring:9090','authSecretName':'prometheus-token'}]," +
            "'scaleUp':{'stabilizationWindowSeconds':0,'maxPodsPerPeriod':4,'periodSeconds':15}," +
            "'scaleDown':{'stabilizationWindowSeconds':300,'maxPercentPerPeriod':50,'periodSeconds':60}}";

    private const string TritonEndpoint = "{'name':'vision','runtime':'triton','protocol':'grpc'," +
            "'model':{'uri':'s3://acme-models/vision/resnet','name':'resnet','version':'3','iamRoleArn':'arn:aws:iam::123456789012:role/model-reader'}," +
            "'gpu':{'type':'L4','count':1},'resources':{'cpu':'3','memory':'12Gi'}," +
            "'autoscaling':" + Autoscaling + "," +
            "'rollout':{'canary':{'modelVersion':'4','weight':10}}}";

    private const string CustomEndpoint = "{'name':'custom','runtime':'custom','protocol':'http'," +
            "'model':{'uri':'s3://acme-models/vision/resnet','name':'resnet','version':'3'}," +
            "'gpu':{'type':'L4','count':1},'resources':{'cpu':'3','memory':'12Gi'}," +
            "'autoscaling':{'minReplicas':1,'maxReplicas':2,'triggers':[{'kind':'cpu','threshold':70}]}," +
            "'custom':{'image':'registry.example.test/serving/server:1.2.3','httpPort':8080,'grpcPort':9000,'readinessPath':'/ready'," +
            "'livenessPath':'/live','metricsPort':8002,'metricsPath':'/metrics','args':['--verbose'],'modelPath':'/models'}}";

    /// <summary>The bodies by operation name ("POST /api/v1/teams"), as JSON.</summary>
    public static IReadOnlyDictionary<string, string[]> Of { get; } = Written().ToDictionary(
        e => e.Key, e => e.Value.Select(body => body.Replace('\'', '"')).ToArray(), StringComparer.Ordinal);

    /// <summary>Written with single quotes, so they read as JSON here; no value needs an apostrophe.</summary>
    private static Dictionary<string, string[]> Written() => new(StringComparer.Ordinal)
    {
        ["POST /api/v1/teams"] = ["{'slug':'valid-team','displayName':'Valid team','description':'Plans the data lake','costCentre':'CC-1234','ownerEmail':'{ownerEmail}'}"],
        [$"PATCH {Team}"] = ["{'displayName':'Renamed','description':'Still plans the data lake','costCentre':'CC-5678'}"],
        ["POST /api/v1/tokens"] = ["{'name':'ci pipeline','scopes':['read'],'expiresAt':'{in30days}'}"],
        [$"POST {Team}/members"] = ["{'email':'new.member@example.test','role':'viewer'}"],
        [$"PATCH {Team}/members/{{userId}}"] = ["{'role':'viewer'}"],
        [$"POST {Team}/group-mappings"] = ["{'group':'data-readers','role':'viewer'}"],
        [$"POST {Team}/environments"] = ["{'name':'staging','awsAccountId':'210987654321','region':'eu-west-1'," +
            "'provisionerRoleArn':'arn:aws:iam::210987654321:role/unicron-provisioner','reliabilityTier':'standard'}"],
        [$"PATCH {Team}/environments/{{env}}"] = ["{'region':'eu-west-1','provisionerRoleArn':'arn:aws:iam::123456789012:role/other','reliabilityTier':'standard'}"],
        [$"POST {Team}/clusters"] = ["{'name':'analytics','environment':'dev','kubernetesVersion':'1.34','endpointAccess':'private','tags':{'owner':'data'},'nodePools':[" + NodePool + "]}"],
        [$"PATCH {Cluster}"] = ["{'kubernetesVersion':'1.34','endpointAccess':'public','tags':{'owner':'data'},'nodePools':[" + NodePool + "]}"],
        [$"POST {Team}/clusters:attach"] = ["{'name':'legacy','environment':'dev','kubernetesVersion':'1.33','tags':{'owner':'data'}," +
            "'kubeconfig':'apiVersion: v1\\nkind: Config\\nclusters:\\n- name: legacy\\n  cluster: {server: https://legacy.example.test:6443}\\ncontexts:\\n- name: legacy\\n  context: {cluster: legacy, user: admin}\\ncurrent-context: legacy\\nusers:\\n- name: admin\\n  user: {token: abc}\\n'}"],
        [$"POST {Cluster}/node-pools/{{pool}}:wake"] = ["{'until':'2030-01-01T00:00:00Z'}"],
        [$"POST {Cluster}/addons"] = ["{'addonId':'keda','version':'2.20.2','values':{},'installDependencies':true}"],
        [$"PATCH {Cluster}/addons/{{addon}}"] = ["{'version':'1.16.2','values':{}}"],
        [$"POST {Cluster}/endpoints"] = [TritonEndpoint, CustomEndpoint],
        [$"PATCH {Cluster}/endpoints/{{name}}"] = ["{'model':{'uri':'s3://acme-models/vision/resnet','name':'resnet','version':'4'},'gpu':{'type':'L4','count':1}," +
            "'resources':{'cpu':'3','memory':'12Gi'},'autoscaling':" + Autoscaling + ",'rollout':{'canary':{'modelVersion':'5','weight':10}}}"],
        [$"PUT {Team}/budget"] = ["{'monthlyLimit':1000,'environmentLimits':{'dev':200},'thresholds':[50,80,100]," +
            "'webhookUrl':'https://hooks.example.test/budget','webhookSecret':'s3cret','currency':'USD'}"],
        ["POST /api/v1/admin/prices"] = ["{'format':'csv','content':'kind,name,unit,price\\ninstance,m5.large,hour,0.107\\n','region':'eu-south-2','asOf':'2026-10-01','source':'AWS export'}"],
        ["POST /api/v1/admin/teams/{team}/maturity-overrides"] = ["{'addonId':'katib','reason':'Pilot with the data science team'}"],
    };
}
