namespace K8sSecurity.Engine.Reporting;

/// <summary>Severity shared by workload scans, RBAC risk and the cluster audit, lowest first (so -ge comparisons work).</summary>
public enum FindingSeverity
{
    Info = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}
