using System.Management.Automation;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Lists CertificateSigningRequests with the user and groups each one asks for.</summary>
[Cmdlet(VerbsCommon.Get, "K8sCertificateRequest", HelpUri = HelpLinks.Docs + "Get-K8sCertificateRequest.md")]
[OutputType(typeof(K8sCertificateRequest))]
public sealed class GetK8sCertificateRequestCommand : K8sClusterCmdlet
{
    private IReadOnlyList<K8sCertificateRequest>? all;

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("RequestName")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    // Strings, not the engine enum: parameter types must load before the engine does (docs/DEVELOPING.md).
    [Parameter]
    [ValidateSet("Pending", "Approved", "Denied", "Failed", "Issued")]
    public string[]? Condition { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? SignerName { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Requestor { get; set; }

    protected override void ProcessRecord()
    {
        all ??= RunOrThrow(ct => CertificateRequestService.ListAsync(Cluster, ct));
        var signer = SignerName is null ? null : new WildcardPattern(SignerName, WildcardOptions.IgnoreCase);
        var requestor = Requestor is null ? null : new WildcardPattern(Requestor, WildcardOptions.IgnoreCase);
        var conditions = Condition?.Select(c => Enum.Parse<CertificateRequestCondition>(c, ignoreCase: true)).ToHashSet();
        bool Matches(K8sCertificateRequest r) =>
            (conditions is null || conditions.Contains(r.Condition))
            && (signer is null || signer.IsMatch(r.SignerName))
            && (requestor is null || requestor.IsMatch(r.Requestor ?? string.Empty));

        if (Name is null)
        {
            WriteObject(all.Where(Matches), enumerateCollection: true);
            return;
        }

        foreach (string name in Name)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var found = all.Where(r => pattern.IsMatch(r.Name)).ToList();
            if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteEngineError(new K8sOperationException(K8sErrorKind.NotFound, $"Certificate signing request '{name}' was not found.", name));
                continue;
            }

            WriteObject(found.Where(Matches), enumerateCollection: true);
        }
    }
}
