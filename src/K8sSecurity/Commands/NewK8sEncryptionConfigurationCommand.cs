using System.Management.Automation;
using K8sSecurity.Engine.Hardening;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Writes a kube-apiserver EncryptionConfiguration (encryption at rest) with a key from the CSPRNG, 0600 and atomic,
/// and rotates its keys: -AddKey (or -AddKey -Staged then -PromoteKey) and, after re-encryption, -RemoveOldKeys.
/// </summary>
[Cmdlet(VerbsCommon.New, "K8sEncryptionConfiguration", SupportsShouldProcess = true, DefaultParameterSetName = NewSet, HelpUri = HelpLinks.Docs + "New-K8sEncryptionConfiguration.md")]
[OutputType(typeof(EncryptionConfigurationFile))]
public sealed class NewK8sEncryptionConfigurationCommand : K8sCmdlet
{
    private const string NewSet = "New";
    private const string AddKeySet = "AddKey";
    private const string PromoteKeySet = "PromoteKey";
    private const string RemoveOldKeysSet = "RemoveOldKeys";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter(ParameterSetName = NewSet)]
    [ValidateSet("secretbox", "aesgcm", "aescbc", "kms")]
    public string Provider { get; set; } = "secretbox";

    [Parameter(ParameterSetName = NewSet)]
    [ValidateNotNullOrEmpty]
    public string[] Resource { get; set; } = { "secrets" };

    [Parameter(ParameterSetName = NewSet)]
    [Parameter(ParameterSetName = AddKeySet)]
    [Parameter(ParameterSetName = PromoteKeySet)]
    [ValidateNotNullOrEmpty]
    public string? KeyName { get; set; }

    [Parameter(ParameterSetName = NewSet)]
    [ValidateNotNullOrEmpty]
    public string? KmsName { get; set; }

    [Parameter(ParameterSetName = NewSet)]
    [ValidateNotNullOrEmpty]
    public string? KmsEndpoint { get; set; }

    [Parameter(ParameterSetName = NewSet)]
    public TimeSpan KmsTimeout { get; set; } = TimeSpan.FromSeconds(3);

    [Parameter(Mandatory = true, ParameterSetName = AddKeySet)]
    public SwitchParameter AddKey { get; set; }

    /// <summary>With -AddKey: the new key goes second, so every API server can read it before any writes with it.</summary>
    [Parameter(ParameterSetName = AddKeySet)]
    public SwitchParameter Staged { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PromoteKeySet)]
    public SwitchParameter PromoteKey { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = RemoveOldKeysSet)]
    public SwitchParameter RemoveOldKeys { get; set; }

    [Parameter(ParameterSetName = NewSet)]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        string full = GetUnresolvedProviderPathFromPSPath(Path);
        EncryptionConfigurationFile? result = null;
        if (ParameterSetName == NewSet)
        {
            var request = new EncryptionConfigurationRequest
            {
                Path = full,
                Provider = Provider switch
                {
                    "aesgcm" => EncryptionProviderKind.AesGcm,
                    "aescbc" => EncryptionProviderKind.AesCbc,
                    "kms" => EncryptionProviderKind.Kms,
                    _ => EncryptionProviderKind.Secretbox,
                },
                Resources = Resource,
                KeyName = KeyName ?? "key1",
                KmsName = KmsName,
                KmsEndpoint = KmsEndpoint,
                KmsTimeout = KmsTimeout,
                Force = Force,
            };
            if (ShouldProcess(full, $"Write an EncryptionConfiguration ({Provider}) for {string.Join(", ", Resource)}"))
            {
                if (TryInvoke(() => result = EncryptionConfigurationService.New(request, Log)))
                {
                    WriteObject(result);
                }
            }

            return;
        }

        var (rotation, action) = ParameterSetName switch
        {
            AddKeySet when Staged => (EncryptionKeyRotation.StageKey, "Add a new key in second place (staged)"),
            AddKeySet => (EncryptionKeyRotation.AddKey, "Add a new key in front, keeping the old keys"),
            PromoteKeySet => (EncryptionKeyRotation.PromoteKey, $"Make key '{KeyName ?? "(the second key)"}' the active key"),
            _ => (EncryptionKeyRotation.RemoveOldKeys, "Remove every key but the active one"),
        };
        if (ShouldProcess(full, action) && TryInvoke(() => result = EncryptionConfigurationService.Rotate(full, rotation, KeyName, Log)))
        {
            WriteObject(result);
        }
    }
}
