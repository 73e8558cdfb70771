using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Scanning;

/// <summary>
/// Image references split as the container runtimes do (github.com/distribution/reference ParseNormalizedNamed:
/// docker.io is the default registry, a first part is a registry only with '.', ':' or "localhost", a Docker Hub
/// name without a namespace is under library/).
/// </summary>
public class ImageReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", null, null)]
    [InlineData("nginx:1.27", "docker.io", "library/nginx", "1.27", null)]
    [InlineData("bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", null)]
    [InlineData("docker.io/nginx", "docker.io", "library/nginx", null, null)]
    [InlineData("localhost/app", "localhost", "app", null, null)]
    [InlineData("localhost:5000/team/app:2.1", "localhost:5000", "team/app", "2.1", null)]
    [InlineData("registry.example.com:5000/app", "registry.example.com:5000", "app", null, null)]
    [InlineData("ghcr.io/acme/api:v3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "ghcr.io", "acme/api", "v3",
        "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("quay.io/prometheus/node-exporter@sha256:abc", "quay.io", "prometheus/node-exporter", null, "sha256:abc")]
    [InlineData("  gcr.io/distroless/static:nonroot\t", "gcr.io", "distroless/static", "nonroot", null)]
    [InlineData("MyRegistry.Example.com/Team/app:1", "myregistry.example.com", "Team/app", "1", null)]
    public void SplitsLikeTheRuntime(string image, string registry, string repository, string? tag, string? digest)
    {
        var reference = ImageReference.Parse(image);

        Assert.Equal(image, reference.Original);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest);
        Assert.Equal(digest is not null, reference.PinnedByDigest);
        Assert.Equal($"{registry}/{repository}", reference.FullName);
    }

    [Theory]
    [InlineData("nginx", true)]
    [InlineData("nginx:latest", true)]
    [InlineData("nginx:1.27", false)]
    [InlineData("nginx:latest@sha256:abc", false)]
    [InlineData("localhost:5000/app", true)]
    public void UsesLatestWhenNeitherVersionNorDigest(string image, bool usesLatest) =>
        Assert.Equal(usesLatest, ImageReference.Parse(image).UsesLatest);

    [Theory]
    [InlineData("nginx", "docker.io", true)]
    [InlineData("nginx", "docker.io/library", true)]
    [InlineData("nginx", "docker.io/lib", false)]
    [InlineData("registry.example.com/team/app:1", "registry.example.com", true)]
    [InlineData("registry.example.com/team/app:1", "REGISTRY.example.com/team/", true)]
    [InlineData("registry.example.com/team/app:1", "registry.example.com/tea", false)]
    [InlineData("registry.example.com.evil.io/app", "registry.example.com", false)]
    [InlineData("acme.azurecr.io/app", "*.azurecr.io", true)]
    [InlineData("azurecr.io.evil.com/app", "*.azurecr.io", false)]
    [InlineData("ghcr.io/acme/api", "ghcr.io/acme/api", true)]
    [InlineData("nginx:1.27", "docker.io/library/nginx", true)]
    [InlineData("nginx:1.27", "docker.io/library/nginx/extra", false)]
    [InlineData("nginx:1.27", "docker.io/library/ngin", false)]
    [InlineData("registry.example.com/team/app:1", "registry.example.com/team/app", true)]
    [InlineData("registry.example.com/team/app:1", "registry.example.com/team/app/x", false)]
    [InlineData("registry.example.com/team/app:1", "registry.example", false)]
    [InlineData("registry.example.com/team/app:1", "registry.example.com:5000", false)]
    [InlineData("registry.example.com:5000/team/app:1", "registry.example.com", false)]
    [InlineData("registry.example.com/team/app:1", "  registry.example.com//", true)]
    [InlineData("registry.example.com/team/app:1", "registry.example.com//team", false)]
    [InlineData("registry.example.com/team/app:1", "registry.example.com/*", true)]
    [InlineData("registry.example.com/team/app:1", "*.example.com", true)]
    [InlineData("registry.example.com/team/app:1", "/", false)]
    public void IsFromMatchesHostsPathPrefixesAndWildcards(string image, string allowed, bool expected) =>
        Assert.Equal(expected, ImageReference.Parse(image).IsFrom(allowed));
}
