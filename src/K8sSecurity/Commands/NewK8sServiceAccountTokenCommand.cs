using System.Management.Automation;
using System.Net;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Requests a short-lived token through the TokenRequest API. Returns it as a SecureString with its expiry;
/// -AsPlainText returns the bare token string instead (only when asked, like ConvertFrom-SecureString).
/// </summary>
[Cmdlet(VerbsCommon.New, "K8sServiceAccountToken", SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "New-K8sServiceAccountToken.md")]
[OutputType(typeof(ServiceAccountToken), typeof(string))]
public sealed class NewK8sServiceAccountTokenCommand : K8sClusterCmdlet
{
    /// <summary>"name" (in -Namespace) or "namespace:name".</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string ServiceAccount { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    /// <summary>Lifetime (10 minutes or more); the server's default (one hour) when omitted.</summary>
    [Parameter]
    public TimeSpan? Duration { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Audience { get; set; }

    /// <summary>"Pod/name" or "Secret/name": the token is invalid once that object is deleted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BoundObject { get; set; }

    [Parameter]
    public SwitchParameter AsPlainText { get; set; }

    protected override void ProcessRecord()
    {
        RbacSubject? account = null;
        if (!TryInvoke(() => account = RbacSubject.ParseServiceAccount(ServiceAccount, ResolveNamespace(Namespace))))
        {
            return;
        }

        if (!ShouldProcess($"ServiceAccount '{account!.Namespace}:{account.Name}'", "Request a token"))
        {
            return;
        }

        if (TryRun(ct => ServiceAccounts.CreateTokenAsync(Cluster, account.Namespace!, account.Name, Duration, Audience, BoundObject, Log, ct), account.Name, out var token))
        {
            if (AsPlainText)
            {
                WriteObject(new NetworkCredential(string.Empty, token.Token).Password);
            }
            else
            {
                WriteObject(token);
            }
        }
    }
}
