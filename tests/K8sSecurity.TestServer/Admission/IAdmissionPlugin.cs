using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

public enum AdmissionOperation
{
    Create,
    Update,
    Delete,
}

/// <summary>Everything a plugin may look at; plugins mutate <see cref="Object"/> in place or throw <see cref="ApiException"/> to deny.</summary>
public sealed class AdmissionRequest
{
    public required AdmissionOperation Operation { get; init; }
    public required ResourceType Type { get; init; }
    public string Subresource { get; init; } = "";
    public required JsonObject Object { get; init; }
    public JsonObject? OldObject { get; init; }
    public required UserInfo User { get; init; }
    public required ApiStore Store { get; init; }
    public required ServerContext Server { get; init; }
    public bool DryRun { get; init; }
    public string Namespace => Object.Str("metadata", "namespace") ?? "";
    public string Name => Object.Str("metadata", "name") ?? "";
    public List<string> Warnings { get; } = [];
}

/// <summary>
/// One admission step (defaulting, validation, LimitRanger, ResourceQuota, …). The chain is an ordered list in
/// <see cref="AdmissionChain"/>; add a plugin by writing a class and adding one line there. Plugins run with the
/// store lock held, so they may read the store directly.
/// </summary>
public interface IAdmissionPlugin
{
    string Name { get; }

    void Admit(AdmissionRequest request);
}

public static class AdmissionChain
{
    /// <summary>Order matters: decode-level checks (400), namespace lifecycle (404), defaulting, validation (422), then policy (403).</summary>
    public static List<IAdmissionPlugin> Default() =>
    [
        new QuantityDecoding(),
        new NamespaceLifecycle(),
        new ObjectDefaults(),
        new ServiceAccountAdmission(),
        new ObjectMetaValidation(),
        new RbacValidation(),
        new RbacEscalation(),
        new SecretValidation(),
        new LimitRangeValidation(),
        new CsrValidation(),
        new LimitRanger(),
        new PodSecurity(),
        new ResourceQuotaAdmission(),
    ];
}
