namespace K8sSecurity.Engine.Scanning;

/// <summary>Pod Security Standards level a workload is evaluated against.</summary>
public enum PodSecurityLevel
{
    Baseline,
    Restricted,
}

/// <summary>Which checks a scan runs.</summary>
public enum ScanProfile
{
    /// <summary>Only the Pod Security Standards checks: the verdict equals the PodSecurity admission plugin's.</summary>
    PodSecurityStandards,

    /// <summary>Pod Security Standards plus the module's best-practice checks.</summary>
    All,

    /// <summary>Only the Polaris/kube-score hardening checks (<see cref="HardeningChecks"/>): the audit's Workloads category.</summary>
    Hardening,
}
