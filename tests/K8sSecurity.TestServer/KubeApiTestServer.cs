using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sSecurity.TestServer.Admission;
using K8sSecurity.TestServer.Handlers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace K8sSecurity.TestServer;

/// <summary>
/// An in-process kube-apiserver look-alike on https://127.0.0.1:&lt;ephemeral&gt; with its own CA, x509 and bearer
/// authentication, RBAC, generic REST storage, admission (LimitRanger, ResourceQuota, validation), CSR approval and
/// signing, access reviews and TokenRequest. Behaviour is checked against responses of a real v1.32 server
/// (shared/k8s-api-golden). Independent of KubernetesClient on purpose.
/// </summary>
public sealed class KubeApiTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerContext _context;
    private readonly List<RecordedRequest> _requests = [];
    private readonly X509Certificate2 _serverCertificate;

    private KubeApiTestServer(WebApplication app, ServerContext context, X509Certificate2 serverCertificate)
    {
        _app = app;
        _context = context;
        _serverCertificate = serverCertificate;
    }

    public Uri BaseAddress => _context.BaseAddress!;

    public string CaCertificatePem => _context.Ca.CertificatePem;

    public string CaPrivateKeyPem => _context.Ca.PrivateKeyPem;

    public string ServerGitVersion => _context.Options.GitVersion;

    public ApiStore Store => _context.Store;

    /// <summary>Shared state for advanced tests (admission plugin list, authorizer).</summary>
    public ServerContext Context => _context;

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    public void ClearRequests()
    {
        lock (_requests)
        {
            _requests.Clear();
        }
    }

    public static async Task<KubeApiTestServer> StartAsync(KubeApiTestServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new KubeApiTestServerOptions();
        var ca = new CertificateAuthority();
        var store = new ApiStore();
        var context = new ServerContext(options, ca, store, new Authentication(ca), new RbacAuthorizer(store));
        WireStore(context);
        Seed(context);

        var serverCert = options.ServerCertificate?.Invoke(ca) ?? ca.IssueServerCertificate();
        var sslOptions = BuildSslOptions(serverCert, ca.Certificate);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;

            // Go's server takes header values as bytes (an impersonated user or group may be any UTF-8 text).
            k.RequestHeaderEncodingSelector = _ => Encoding.UTF8;
            k.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = _ => ValueTask.FromResult(sslOptions) });
            });
        });
        var app = builder.Build();
        var server = new KubeApiTestServer(app, context, serverCert);
        var router = new Router(context, server.Record, app.Lifetime.ApplicationStopping);
        app.Run(router.HandleAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        context.BaseAddress = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>
    /// Serving cert + CA chain; the CA is advertised as acceptable client-cert issuer (Go clients only send a client
    /// cert the server's CertificateRequest asks for). Client certs are requested, never required: we validate them
    /// ourselves so that a missing one means anonymous and a bad one means 401.
    /// </summary>
    private static SslServerAuthenticationOptions BuildSslOptions(X509Certificate2 serverCert, X509Certificate2 caCert)
    {
        var chain = new X509Certificate2Collection(caCert);
        SslStreamCertificateContext certContext;
        try
        {
            certContext = SslStreamCertificateContext.Create(serverCert, chain, offline: true, SslCertificateTrust.CreateForX509Collection(chain, sendTrustInHandshake: true));
        }
        catch (PlatformNotSupportedException)
        {
            certContext = SslStreamCertificateContext.Create(serverCert, chain, offline: true);
        }

        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certContext,
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        };
    }

    private static void WireStore(ServerContext context)
    {
        var store = context.Store;
        store.Defaulter = (type, obj) => ObjectDefaults.Apply(type, obj, store);
        store.AfterCreate = (type, obj) =>
        {
            if (type.Kind != "Namespace" || !context.Options.ServiceAccountController)
            {
                return;
            }

            // What the serviceaccount and root-ca-cert-publisher controllers add to every namespace.
            var ns = obj.Str("metadata", "name")!;
            if (store.GetRaw(ResourceCatalog.ServiceAccounts, ns, "default") is null)
            {
                store.Insert(ResourceCatalog.ServiceAccounts, new JsonObject
                {
                    ["kind"] = "ServiceAccount",
                    ["apiVersion"] = "v1",
                    ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = ns },
                }, "kube-controller-manager");
            }

            if (store.GetRaw(ResourceCatalog.ConfigMaps, ns, "kube-root-ca.crt") is null)
            {
                store.Insert(ResourceCatalog.ConfigMaps, new JsonObject
                {
                    ["kind"] = "ConfigMap",
                    ["apiVersion"] = "v1",
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = "kube-root-ca.crt",
                        ["namespace"] = ns,
                        ["annotations"] = new JsonObject { ["kubernetes.io/description"] = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters." },
                    },
                    ["data"] = new JsonObject { ["ca.crt"] = context.Ca.CertificatePem },
                }, "kube-controller-manager");
            }
        };
        store.Controllers = ns => QuotaUsage.SyncStatus(store, ns);
        store.ReadView = (type, obj) =>
        {
            if (type == ResourceCatalog.ClusterRoles && obj["aggregationRule"] is JsonObject)
            {
                var rules = new JsonArray();
                foreach (var r in context.Authorizer.EffectiveClusterRoleRules(obj))
                {
                    rules.Add(r.Clone());
                }

                obj["rules"] = rules;
            }

            return obj;
        };
    }

    private static void Seed(ServerContext context)
    {
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            context.Store.Create(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } }, "kube-apiserver");
        }

        if (context.Options.SeedDefaultRbac)
        {
            DefaultRbac.Seed(context.Store);
        }
    }

    private void Record(RecordedRequest r)
    {
        lock (_requests)
        {
            _requests.Add(r);
        }
    }

    /// <summary>A client certificate for CN=user, O=groups signed by the cluster CA (PEM cert, PEM PKCS#8 key).</summary>
    public (string CertificatePem, string PrivateKeyPem) IssueClientCertificate(string user, params string[] groups) =>
        _context.Ca.IssueClientCertificate(user, groups);

    /// <summary>A new static bearer token for user/groups (system:authenticated is added).</summary>
    public string AddToken(string user, params string[] groups) => _context.Authentication.AddToken(user, groups);

    /// <summary>Kubeconfig with client-certificate auth; default user admin in system:masters. Returns the path.</summary>
    public string WriteKubeconfig(string path, string user = "admin", string[]? groups = null, string contextName = "test", string? defaultNamespace = null)
    {
        groups ??= user == "admin" ? ["system:masters"] : [];
        var (cert, key) = IssueClientCertificate(user, groups);
        var userYaml =
            $"    client-certificate-data: {B64(cert)}\n" +
            $"    client-key-data: {B64(key)}\n";
        return WriteConfig(path, contextName, user, userYaml, defaultNamespace);
    }

    public string WriteTokenKubeconfig(string path, string token, string contextName = "test-token") =>
        WriteConfig(path, contextName, contextName + "-user", $"    token: {Q(token)}\n", null);

    /// <summary>Exec-plugin kubeconfig whose command prints an ExecCredential carrying <paramref name="token"/>.</summary>
    public string WriteExecKubeconfig(string path, string token, string contextName = "test-exec")
    {
        var credential = new JsonObject
        {
            ["apiVersion"] = "client.authentication.k8s.io/v1",
            ["kind"] = "ExecCredential",
            ["status"] = new JsonObject { ["token"] = token },
        }.ToJsonString();
        var userYaml =
            "    exec:\n" +
            "      apiVersion: client.authentication.k8s.io/v1\n" +
            "      command: sh\n" +
            "      args:\n" +
            "      - \"-c\"\n" +
            $"      - {Q($"printf '%s' '{credential}'")}\n" +
            "      interactiveMode: Never\n";
        return WriteConfig(path, contextName, contextName + "-user", userYaml, null);
    }

    /// <summary>
    /// Exec-plugin kubeconfig whose command is <c>sh &lt;path&gt;.credential.sh</c> (a script printing the ExecCredential).
    /// Use this with KubernetesClient: it joins exec args with spaces into one command line, which breaks the
    /// <c>sh -c "printf …"</c> form of <see cref="WriteExecKubeconfig"/> (kubectl handles both).
    /// </summary>
    public string WriteExecScriptKubeconfig(string path, string token, string contextName = "test-exec")
    {
        var credential = new JsonObject
        {
            ["apiVersion"] = "client.authentication.k8s.io/v1",
            ["kind"] = "ExecCredential",
            ["status"] = new JsonObject { ["token"] = token },
        }.ToJsonString();
        var script = Path.GetFullPath(path) + ".credential.sh";
        Directory.CreateDirectory(Path.GetDirectoryName(script)!);
        File.WriteAllText(script, $"#!/bin/sh\nprintf '%s' '{credential}'\n");
        var userYaml =
            "    exec:\n" +
            "      apiVersion: client.authentication.k8s.io/v1\n" +
            "      command: sh\n" +
            "      args:\n" +
            $"      - {Q(script)}\n" +
            "      interactiveMode: Never\n";
        return WriteConfig(path, contextName, contextName + "-user", userYaml, null);
    }

    private string WriteConfig(string path, string contextName, string userName, string userYaml, string? defaultNamespace)
    {
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\nkind: Config\n");
        sb.Append("clusters:\n- name: k8ssecurity-test\n  cluster:\n");
        sb.Append($"    server: {Q(BaseAddress.ToString().TrimEnd('/'))}\n");
        sb.Append($"    certificate-authority-data: {B64(CaCertificatePem)}\n");
        sb.Append("contexts:\n");
        sb.Append($"- name: {Q(contextName)}\n  context:\n    cluster: k8ssecurity-test\n    user: {Q(userName)}\n");
        if (defaultNamespace is not null)
        {
            sb.Append($"    namespace: {Q(defaultNamespace)}\n");
        }

        sb.Append($"current-context: {Q(contextName)}\n");
        sb.Append($"users:\n- name: {Q(userName)}\n  user:\n");
        sb.Append(userYaml);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, sb.ToString());
        return full;
    }

    private static string B64(string s) => Convert.ToBase64String(Encoding.ASCII.GetBytes(s));

    /// <summary>A JSON string literal is a valid YAML double-quoted scalar.</summary>
    private static string Q(string s) => JsonSerializer.Serialize(s);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _serverCertificate.Dispose();
        _context.Ca.Dispose();
    }
}
