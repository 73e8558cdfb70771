using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Tests;

/// <summary>Plain HttpClients against a test server: trust only its CA, authenticate by client cert or bearer token.</summary>
internal static class TestClients
{
    public static HttpClient ForUser(KubeApiTestServer server, string user, params string[] groups)
    {
        var (cert, key) = server.IssueClientCertificate(user, groups);
        return ForCertificate(server, cert, key);
    }

    public static HttpClient ForCertificate(KubeApiTestServer server, string certPem, string keyPem)
    {
        using var ephemeral = X509Certificate2.CreateFromPem(certPem, keyPem);
        // Round-trip through PKCS#12 so SslStream gets a key it can use on every platform.
        var cert = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        var handler = Handler(server);
        handler.ClientCertificates.Add(cert);
        return Client(server, handler);
    }

    public static HttpClient ForToken(KubeApiTestServer server, string token)
    {
        var client = Client(server, Handler(server));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static HttpClient Anonymous(KubeApiTestServer server) => Client(server, Handler(server));

    public static HttpClient Admin(KubeApiTestServer server) => ForUser(server, "admin", "system:masters");

    private static HttpClientHandler Handler(KubeApiTestServer server)
    {
        var ca = X509Certificate2.CreateFromPem(server.CaCertificatePem);
        return new HttpClientHandler
        {
            ClientCertificateOptions = ClientCertificateOption.Manual,
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                if (cert is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert);
            },
        };
    }

    private static HttpClient Client(KubeApiTestServer server, HttpClientHandler handler) =>
        new(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(
        this HttpClient client, HttpMethod method, string path, object? body = null, string contentType = "application/json")
    {
        using var req = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            var text = body switch
            {
                string s => s,
                JsonNode n => n.ToJsonString(),
                _ => System.Text.Json.JsonSerializer.Serialize(body),
            };
            req.Content = new StringContent(text, Encoding.UTF8);
            req.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        var resp = await client.SendAsync(req);
        var payload = await resp.Content.ReadAsStringAsync();
        JsonNode? node = null;
        try
        {
            node = payload.Length > 0 ? JsonNode.Parse(payload) : null;
        }
        catch (System.Text.Json.JsonException)
        {
            node = JsonValue.Create(payload);
        }

        return ((int)resp.StatusCode, node, resp);
    }

    public static Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> KGet(this HttpClient c, string path) => c.SendAsync(HttpMethod.Get, path);

    public static Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> KPost(this HttpClient c, string path, object body) => c.SendAsync(HttpMethod.Post, path, body);

    public static Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> KPut(this HttpClient c, string path, object body) => c.SendAsync(HttpMethod.Put, path, body);

    public static Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> KPatch(this HttpClient c, string path, object body, string contentType) => c.SendAsync(HttpMethod.Patch, path, body, contentType);

    public static Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> KDelete(this HttpClient c, string path) => c.SendAsync(HttpMethod.Delete, path);

    public static JsonObject J(string json) => (JsonObject)JsonNode.Parse(json)!;
}
