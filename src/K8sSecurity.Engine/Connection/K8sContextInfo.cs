namespace K8sSecurity.Engine.Connection;

/// <summary>One kubeconfig context, as Get-K8sContext lists it.</summary>
public sealed class K8sContextInfo
{
    public required string Name { get; init; }

    public string? Cluster { get; init; }

    public string? Server { get; init; }

    public string? User { get; init; }

    public string? Namespace { get; init; }

    public K8sAuthKind AuthKind { get; init; }

    /// <summary>For exec plugins, the command (e.g. kubelogin, aws); otherwise null.</summary>
    public string? ExecCommand { get; init; }

    public bool IsCurrent { get; init; }

    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>The kubeconfig file that defines this context.</summary>
    public string? KubeconfigPath { get; init; }

    public override string ToString() => Name;
}
