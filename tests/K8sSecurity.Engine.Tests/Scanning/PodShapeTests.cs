using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Scanning;

/// <summary>
/// Fields of the wrong type, which the API server refuses when it decodes the object: the first one in name order is
/// named, whatever order the file lists them in, and whatever the check walk did without naming.
/// </summary>
public sealed class PodShapeTests
{
    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        spec:
          template:
            spec:
              containers:
              - name: ok
                image: nginx
                securityContext: {runAsUser: 10001, privileged: false}
              - name: c
                image: nginx
                securityContext:
        {0}
        """;

    [Theory]
    [InlineData("          runAsUser: \"0\"\n          privileged: \"true\"", "spec.template.spec.containers[1].securityContext.privileged must be a boolean, not the string \"true\"")]
    [InlineData("          privileged: \"true\"\n          runAsUser: \"0\"", "spec.template.spec.containers[1].securityContext.privileged must be a boolean, not the string \"true\"")]
    [InlineData("          runAsUser: 1.5\n          seccompProfile: RuntimeDefault", "spec.template.spec.containers[1].securityContext.runAsUser must be an integer, not the number 1.5")]
    [InlineData("          capabilities: {drop: ALL}", "spec.template.spec.containers[1].securityContext.capabilities.drop must be a sequence, not the string \"ALL\"")]
    [InlineData("          runAsUser: 0\n          runAsGroup: 1e3\n          privileged: true", null)]
    public void NamesTheFirstWrongFieldInNameOrder(string securityContext, string? expected)
    {
        var item = Assert.Single(ManifestReader.ReadText(Deployment.Replace("{0}", securityContext, StringComparison.Ordinal), "d.yaml", e => Assert.Fail(e.ToString())));
        Assert.Equal(expected, PodShape.Problem(item.Body, item.Kind!));
    }
}
