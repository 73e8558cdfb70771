namespace K8sSecurity.Infrastructure;

/// <summary>
/// Where `Get-Help -Online` goes: each cmdlet's markdown help in the project's repository (the ProjectUri of
/// K8sSecurity.psd1). docs/&lt;Verb-Noun&gt;.md's "online version" names the same address.
/// </summary>
internal static class HelpLinks
{
    public const string Docs = "https://github.com/k8ssecurity/K8sSecurity/blob/main/docs/";
}
