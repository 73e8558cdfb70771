using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.KubeConfigModels;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// Runs a kubeconfig <c>exec</c> credential plugin the way client-go does (argv intact, KUBERNETES_EXEC_INFO, the
/// ExecCredential checks and kubectl's error texts), with the bounds KubernetesClient lacks: standard output is
/// capped, a plugin that runs too long or is cancelled is killed with its whole process tree, and a failure reports
/// the exit code and the end of standard error, never standard output (that is where the credential is).
/// </summary>
internal sealed class ExecCredentialPlugin : IDisposable
{
    /// <summary>Largest ExecCredential read from a plugin's standard output (a token or a certificate chain is a few KB).</summary>
    public const int MaxOutputBytes = 1024 * 1024;

    /// <summary>How much of the end of a plugin's standard error a failure reports.</summary>
    public const int KeptErrorChars = 2048;

    /// <summary>How long a plugin may run (KubernetesClient's limit too).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    private static readonly string[] SupportedApiVersions = { "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1" };

    private readonly ExternalExecution config;
    private readonly string command;
    private readonly string interactiveMode;
    private readonly JsonObject? clusterInfo;
    private readonly TimeSpan timeout;
    private readonly SemaphoreSlim gate = new(1, 1);
    private ExecCredential? cached;

    private ExecCredentialPlugin(ExternalExecution config, string command, string interactiveMode, JsonObject? clusterInfo, TimeSpan timeout)
    {
        this.config = config;
        this.command = command;
        this.interactiveMode = interactiveMode;
        this.clusterInfo = clusterInfo;
        this.timeout = timeout;
    }

    /// <summary>Checks the exec section as kubectl does before anything runs.</summary>
    /// <param name="userName">The kubeconfig user, for kubectl's "interactiveMode must be specified" message.</param>
    /// <param name="interactiveMode">The user's exec.interactiveMode (KubernetesClient's model does not read it).</param>
    /// <param name="kubeconfigDirectory">A command with a path separator is relative to its kubeconfig, as in kubectl.</param>
    /// <param name="clusterInfo">spec.cluster of KUBERNETES_EXEC_INFO when provideClusterInfo is set.</param>
    public static ExecCredentialPlugin Create(
        ExternalExecution config, string userName, string? interactiveMode, string? kubeconfigDirectory, JsonObject? clusterInfo, TimeSpan timeout)
    {
        if (!SupportedApiVersions.Contains(config.ApiVersion, StringComparer.Ordinal))
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"exec plugin: invalid apiVersion \"{config.ApiVersion}\"", userName);
        }

        if (string.IsNullOrWhiteSpace(config.Command))
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"exec plugin of user '{userName}' has no command", userName);
        }

        if (string.IsNullOrEmpty(interactiveMode))
        {
            if (config.ApiVersion == SupportedApiVersions[0])
            {
                throw new K8sOperationException(K8sErrorKind.Configuration, $"interactiveMode must be specified for {userName} to use exec authentication plugin", userName);
            }

            interactiveMode = "IfAvailable";
        }
        else if (interactiveMode is not ("Never" or "IfAvailable" or "Always"))
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"invalid interactiveMode: {interactiveMode}", userName);
        }

        foreach (var entry in config.EnvironmentVariables ?? Enumerable.Empty<Dictionary<string, string>>())
        {
            if (!entry.ContainsKey("name") || !entry.ContainsKey("value"))
            {
                throw new K8sOperationException(K8sErrorKind.Configuration, $"exec plugin of user '{userName}' has an env entry without name and value", userName);
            }
        }

        string command = config.Command;
        if (kubeconfigDirectory is not null && !Path.IsPathRooted(command)
            && (command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || command.Contains(Path.AltDirectorySeparatorChar, StringComparison.Ordinal)))
        {
            command = Path.GetFullPath(Path.Combine(kubeconfigDirectory, command));
        }

        return new ExecCredentialPlugin(config, command, interactiveMode, config.ProvideClusterInfo ? clusterInfo : null, timeout);
    }

    /// <summary>The plugin's command as configured, for messages.</summary>
    public string Command => config.Command;

    /// <summary>The cached credential while it is valid, else a fresh one from the plugin (one run at a time).</summary>
    public async Task<ExecCredential> GetAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (cached is not null && (cached.Expires is null || cached.Expires > DateTimeOffset.UtcNow))
            {
                return cached;
            }

            cached?.ClientCertificate?.Dispose();
            cached = null;
            cached = await RunAsync(cancellationToken).ConfigureAwait(false);
            return cached;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>After a 401 the next request runs the plugin again, unless another request already did (client-go).</summary>
    public async Task InvalidateAsync(ExecCredential rejected)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (ReferenceEquals(cached, rejected))
            {
                cached = null;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        cached?.ClientCertificate?.Dispose();
        gate.Dispose();
    }

    private async Task<ExecCredential> RunAsync(CancellationToken cancellationToken)
    {
        bool terminal = !Console.IsInputRedirected;
        if (interactiveMode == "Always" && !terminal)
        {
            throw Failure("exec plugin cannot support interactive mode: standard input is not a terminal");
        }

        bool interactive = interactiveMode != "Never" && terminal;
        var start = new ProcessStartInfo(command)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,

            // An interactive plugin reads the terminal (like kubectl); otherwise it gets an empty standard input.
            RedirectStandardInput = !interactive,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in config.Arguments ?? Enumerable.Empty<string>())
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var entry in config.EnvironmentVariables ?? Enumerable.Empty<Dictionary<string, string>>())
        {
            start.Environment[entry["name"]] = entry["value"];
        }

        var spec = new JsonObject();
        if (clusterInfo is not null)
        {
            spec["cluster"] = clusterInfo.DeepClone();
        }

        spec["interactive"] = interactive;
        start.Environment["KUBERNETES_EXEC_INFO"] = new JsonObject
        {
            ["kind"] = "ExecCredential",
            ["apiVersion"] = config.ApiVersion,
            ["spec"] = spec,
        }.ToJsonString();

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception)
        {
            string hint = string.IsNullOrWhiteSpace(config.InstallHint) ? string.Empty : " " + config.InstallHint.Trim();
            throw Failure($"exec: executable {config.Command} not found.{hint}");
        }

        if (!interactive)
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The plugin already exited.
            }
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var stopReadingErrors = new CancellationTokenSource();
        var output = ReadBoundedAsync(process.StandardOutput.BaseStream, deadline.Token);
        // An interactive plugin talks to the user on standard error (login URLs, device codes): show it as it comes.
        var errors = KeepTailAsync(process.StandardError, interactive ? Console.Error : null, stopReadingErrors.Token);
        byte[]? stdout;
        try
        {
            stdout = await output.ConfigureAwait(false);
            if (stdout is not null)
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            cancellationToken.ThrowIfCancellationRequested();
            throw Failure(
                $"exec: executable {config.Command} did not finish within {Seconds(timeout)} and was stopped with its child processes{StandardError(await TailAsync(errors, stopReadingErrors).ConfigureAwait(false))}",
                K8sErrorKind.Timeout);
        }

        if (stdout is null)
        {
            Kill(process);
            throw Failure($"exec: executable {config.Command} wrote more than {MaxOutputBytes / 1024} KiB to standard output and was stopped with its child processes");
        }

        if (process.ExitCode != 0)
        {
            string stderr = await TailAsync(errors, stopReadingErrors).ConfigureAwait(false);
            throw Failure($"exec: executable {config.Command} failed with exit code {process.ExitCode.ToString(CultureInfo.InvariantCulture)}{StandardError(stderr)}");
        }

        stopReadingErrors.Cancel();
        return Decode(stdout);
    }

    /// <summary>client-go's checks of the ExecCredential, without ever quoting what the plugin printed.</summary>
    private ExecCredential Decode(byte[] stdout)
    {
        JsonObject? credential;
        try
        {
            credential = JsonNode.Parse(stdout) as JsonObject;
        }
        catch (JsonException ex)
        {
            throw Failure($"decoding stdout: not a JSON ExecCredential (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})");
        }

        if (credential is null || Text(credential, "apiVersion") is not { } apiVersion || Text(credential, "kind") is null)
        {
            throw Failure("decoding stdout: couldn't get version/kind");
        }

        if (apiVersion != config.ApiVersion)
        {
            throw Failure($"exec plugin is configured to use API version {config.ApiVersion}, plugin returned version {apiVersion}");
        }

        if (credential["status"] is not JsonObject status)
        {
            throw Failure("exec plugin didn't return a status field");
        }

        string? token = Text(status, "token");
        string? certificate = Text(status, "clientCertificateData");
        string? key = Text(status, "clientKeyData");
        if (string.IsNullOrEmpty(token) && string.IsNullOrEmpty(certificate) && string.IsNullOrEmpty(key))
        {
            throw Failure("exec plugin didn't return a token or cert/key pair");
        }

        if (string.IsNullOrEmpty(certificate) != string.IsNullOrEmpty(key))
        {
            throw Failure("exec plugin returned only certificate or key, not both");
        }

        DateTimeOffset? expires = null;
        if (Text(status, "expirationTimestamp") is { Length: > 0 } expiration)
        {
            if (!DateTimeOffset.TryParse(expiration, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
            {
                throw Failure("decoding stdout: expirationTimestamp is not an RFC 3339 time");
            }

            expires = parsed;
        }

        X509Certificate2? clientCertificate = null;
        if (!string.IsNullOrEmpty(certificate))
        {
            try
            {
                clientCertificate = ClientCertificates.FromPem(certificate, key!);
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or FormatException or ArgumentException)
            {
                throw Failure("failed parsing client key/certificate returned by the exec plugin");
            }
        }

        return new ExecCredential(string.IsNullOrEmpty(token) ? null : token, clientCertificate, expires);
    }

    /// <summary>Reads at most <see cref="MaxOutputBytes"/>; null when the plugin wrote more.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        while (true)
        {
            int read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + read > MaxOutputBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }
    }

    /// <summary>Drains standard error (so the plugin never blocks on it), keeping only its end.</summary>
    private static async Task<string> KeepTailAsync(StreamReader reader, TextWriter? echo, CancellationToken cancellationToken)
    {
        var tail = new StringBuilder();
        char[] chunk = new char[4096];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                tail.Append(chunk, 0, read);
                if (echo is not null)
                {
                    await echo.WriteAsync(chunk.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                if (tail.Length > KeptErrorChars * 2)
                {
                    tail.Remove(0, tail.Length - KeptErrorChars);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The process was killed; what was read so far is what we report.
        }

        return tail.Length > KeptErrorChars ? "…" + tail.ToString(tail.Length - KeptErrorChars, KeptErrorChars) : tail.ToString();
    }

    /// <summary>
    /// The end of standard error once the plugin is gone: a grandchild that escaped the kill may still hold the pipe,
    /// so reading stops after a short grace period.
    /// </summary>
    private static async Task<string> TailAsync(Task<string> errors, CancellationTokenSource stopReading)
    {
        stopReading.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            return await errors.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return string.Empty;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    private static string StandardError(string stderr)
    {
        string trimmed = stderr.Trim();
        return trimmed.Length == 0 ? string.Empty : $"; its standard error ends with: {trimmed}";
    }

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

    private static string? Text(JsonObject node, string name) =>
        node[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static ClusterTransportException Failure(string message, K8sErrorKind kind = K8sErrorKind.Unauthorized) =>
        new(kind, "getting credentials: " + message);
}

/// <summary>What an exec plugin returned: a bearer token and/or a client certificate, valid until <see cref="Expires"/>.</summary>
internal sealed record ExecCredential(string? Token, X509Certificate2? ClientCertificate, DateTimeOffset? Expires);
