using System.Text.Json.Nodes;
using Xunit;
using static K8sSecurity.TestServer.Tests.TestClients;

namespace K8sSecurity.TestServer.Tests;

public sealed class AdmissionTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Quota_status_follows_creates_and_deletes()
    {
        var ns = f.NewNamespace();
        var (qs, quota, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/resourcequotas",
            J("""{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q"},"spec":{"hard":{"configmaps":"3","secrets":"1","services":"2","services.loadbalancers":"1","requests.cpu":"1000m","count/deployments.apps":"1"}}}"""));
        Assert.Equal(201, qs);
        Assert.Equal("1", quota!["spec"]!["hard"]!["requests.cpu"]!.GetValue<string>());
        JsonNode Used() => f.Server.Store.Get("v1", "ResourceQuota", ns, "q")!["status"]!["used"]!;
        Assert.Equal("1", Used()["configmaps"]!.GetValue<string>()); // kube-root-ca.crt
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}"""));
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}"""));
        Assert.Equal("3", Used()["configmaps"]!.GetValue<string>());
        var (s, denied, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"""));
        Assert.Equal(403, s);
        Assert.Equal("configmaps \"c\" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=3, limited: configmaps=3", denied!["message"]!.GetValue<string>());
        await f.Admin.KDelete($"/api/v1/namespaces/{ns}/configmaps/a");
        Assert.Equal("2", Used()["configmaps"]!.GetValue<string>());
        Assert.Equal(201, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/services", J("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}"""))).Status);
        Assert.Equal(403, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/services", J("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"lb2"},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}"""))).Status);
        Assert.Equal("1", Used()["services"]!.GetValue<string>());
        Assert.Equal(201, (await f.Admin.KPost($"/apis/apps/v1/namespaces/{ns}/deployments", J("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d1"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}"""))).Status);
        Assert.Equal(403, (await f.Admin.KPost($"/apis/apps/v1/namespaces/{ns}/deployments", J("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d2"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}"""))).Status);
        // requests.cpu is tracked: a pod without a cpu request is refused.
        var (ps, pb, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x"}]}}"""));
        Assert.Equal(403, ps);
        Assert.Contains("must specify requests.cpu", pb!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(201, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","resources":{"requests":{"cpu":"0.5"}}}]}}"""))).Status);
        Assert.Equal("500m", Used()["requests.cpu"]!.GetValue<string>());
    }

    [Fact]
    public async Task LimitRange_defaults_min_and_ratio()
    {
        var ns = f.NewNamespace();
        Assert.Equal(201, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/limitranges",
            J("""{"apiVersion":"v1","kind":"LimitRange","metadata":{"name":"lr"},"spec":{"limits":[{"type":"Container","min":{"memory":"64Mi"},"max":{"memory":"1Gi"},"maxLimitRequestRatio":{"memory":"2"}}]}}"""))).Status);
        var lr = f.Server.Store.Get("v1", "LimitRange", ns, "lr")!;
        Assert.Equal("1Gi", lr["spec"]!["limits"]![0]!["default"]!["memory"]!.GetValue<string>());
        Assert.Equal("1Gi", lr["spec"]!["limits"]![0]!["defaultRequest"]!["memory"]!.GetValue<string>());
        var (s1, p1, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"ok"},"spec":{"containers":[{"name":"c","image":"x"}]}}"""));
        Assert.Equal(201, s1);
        Assert.Equal("LimitRanger plugin set: memory request for container c; memory limit for container c", p1!["metadata"]!["annotations"]!["kubernetes.io/limit-ranger"]!.GetValue<string>());
        // memory request = limit but no cpu: Burstable (Guaranteed needs cpu and memory).
        Assert.Equal("Burstable", p1["status"]!["qosClass"]!.GetValue<string>());
        var (s2, p2, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"small"},"spec":{"containers":[{"name":"c","image":"x","resources":{"requests":{"memory":"32Mi"},"limits":{"memory":"32Mi"}}}]}}"""));
        Assert.Equal(403, s2);
        Assert.Equal("pods \"small\" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi", p2!["message"]!.GetValue<string>());
        var (s3, p3, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"ratio"},"spec":{"containers":[{"name":"c","image":"x","resources":{"requests":{"memory":"100Mi"},"limits":{"memory":"1Gi"}}}]}}"""));
        Assert.Equal(403, s3);
        Assert.Contains("memory max limit to request ratio per Container is 2", p3!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quantities_are_validated_and_canonicalised()
    {
        var ns = f.NewNamespace();
        var (s1, b1, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"two"}}}]}}"""));
        Assert.Equal(400, s1);
        Assert.StartsWith("Pod in version \"v1\" cannot be handled as a Pod: quantities must match", b1!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var (s2, b2, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"1500m","memory":"1048576Ki"}}}]}}"""));
        Assert.Equal(201, s2);
        Assert.Equal("1500m", b2!["spec"]!["containers"]![0]!["resources"]!["limits"]!["cpu"]!.GetValue<string>());
        Assert.Equal("1Gi", b2["spec"]!["containers"]![0]!["resources"]!["limits"]!["memory"]!.GetValue<string>());
        Assert.Equal("1Gi", b2["spec"]!["containers"]![0]!["resources"]!["requests"]!["memory"]!.GetValue<string>());
    }
}
