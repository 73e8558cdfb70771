using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using K8sSecurity.Engine.Manifests;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// Reads a kubeconfig file exactly as kubectl does (client-go <c>clientcmd.LoadFromFile</c>): the first YAML document
/// decoded by go-yaml v2 (YAML 1.1 plain scalars: <c>yes</c>/<c>on</c>/<c>y</c> are true, <c>0x10</c> is a number;
/// anchors, aliases and merge keys resolved; of a key written twice the last value wins) and turned into JSON like
/// sigs.k8s.io/yaml (the decoder the manifest readers share), then <c>apiVersion</c>/<c>kind</c> checked (v1 Config)
/// and the tree decoded into clientcmd's v1 types with Go's JSON rules: case-sensitive field names, unknown fields
/// ignored, a value of the wrong type (a quoted <c>"true"</c> for a bool, a number for a string) or data that is not
/// base64 refuse the file, and so does a name used twice in clusters, users, contexts or extensions. What kubectl
/// refuses is a <see cref="K8sErrorKind.Configuration"/> error naming the file (and the line where the YAML says it);
/// no message holds a value from the file.
/// </summary>
internal static partial class KubeconfigDecoder
{
    private const string InterpretTarget =
        "struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }";

    /// <summary>Reads and decodes one file; throws a Configuration error for a file kubectl would not load.</summary>
    public static KubeconfigDocument Load(string path, CancellationToken cancellationToken = default)
    {
        string full = Path.GetFullPath(path);
        string? problem = null;
        if (!ManifestReader.TryReadFileText(full, issue => problem ??= issue.Message, BoundedFile.DefaultMaxBytes, cancellationToken, out string? text, out int invalidUtf8Line))
        {
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                throw new K8sOperationException(K8sErrorKind.Configuration, $"Kubeconfig file '{full}' does not exist.", full);
            }

            throw new K8sOperationException(K8sErrorKind.Configuration, $"Kubeconfig file '{full}' cannot be read: {problem}", full);
        }

        return Decode(text!, full, invalidUtf8Line);
    }

    /// <summary>Decodes kubeconfig text; <paramref name="source"/> names it in errors.</summary>
    public static KubeconfigDocument Decode(string text, string source, int invalidUtf8Line = 0)
    {
        if (invalidUtf8Line > 0)
        {
            throw Refused(source, invalidUtf8Line, "yaml: invalid UTF-8 in the text");
        }

        JsonNode? root = null;
        if (text.Length > 0)
        {
            try
            {
                root = YamlDocumentDecoder.Decode(text, 1, new List<DuplicateKey>(), out _, null);
            }
            catch (ManifestDecodeException ex)
            {
                throw Refused(source, ex.Line, HideValues(ex.Message));
            }
        }

        if (root is null)
        {
            return new KubeconfigDocument { Path = source };
        }

        if (root is not JsonObject config)
        {
            throw Refused(source, 0, $"couldn't get version/kind; json parse error: json: cannot unmarshal {GoKind(root)} into Go value of type {InterpretTarget}");
        }

        CheckVersionAndKind(config, source);
        var reader = new GoJsonReader();
        var document = reader.ReadConfig(config, source);
        if (reader.Error is { } error)
        {
            throw Refused(source, 0, error);
        }

        if (DuplicateName(config) is { } duplicate)
        {
            throw Refused(source, 0, duplicate);
        }

        return document;
    }

    private static K8sOperationException Refused(string source, int line, string reason) => new(
        K8sErrorKind.Configuration,
        $"Kubeconfig file '{source}'{(line > 0 ? $" (line {line})" : string.Empty)} cannot be loaded; kubectl refuses it too: {reason}",
        source);

    // go-yaml quotes the offending scalar in some messages ("cannot decode !!str `…` as a !!int"): it may be a token.
    private static string HideValues(string message) => BackQuoted().Replace(message, "`(value hidden)`");

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex BackQuoted();

    // apimachinery's SimpleMetaFactory.Interpret (encoding/json: field names match case-insensitively) and the
    // scheme lookup of clientcmd's codec: only v1 Config is registered.
    private static void CheckVersionAndKind(JsonObject config, string source)
    {
        string apiVersion = string.Empty;
        string kind = string.Empty;
        string? error = null;
        foreach (var (key, value) in Sorted(config))
        {
            bool isVersion = GoEqualFold(key, "apiVersion");
            if (!isVersion && !GoEqualFold(key, "kind"))
            {
                continue;
            }

            if (value is null)
            {
                continue;
            }

            if (!IsString(value, out string? s))
            {
                error ??= $"couldn't get version/kind; json parse error: json: cannot unmarshal {GoKind(value)} into Go struct field .{(isVersion ? "apiVersion" : "kind")} of type string";
                continue;
            }

            if (isVersion)
            {
                apiVersion = s!;
            }
            else
            {
                kind = s!;
            }
        }

        if (error is not null)
        {
            throw Refused(source, 0, error);
        }

        string group = string.Empty;
        string version = apiVersion;
        int slashes = apiVersion.Count(c => c == '/');
        if (slashes == 1)
        {
            int i = apiVersion.IndexOf('/', StringComparison.Ordinal);
            group = apiVersion[..i];
            version = apiVersion[(i + 1)..];
        }
        else if (slashes > 1)
        {
            throw Refused(source, 0, $"unexpected GroupVersion string: {apiVersion}");
        }

        if (kind.Length == 0)
        {
            kind = "Config";
        }

        if (version.Length == 0 && group.Length == 0)
        {
            version = "v1";
        }

        if (group.Length == 0 && version == "__internal" && kind == "Config")
        {
            throw Refused(source, 0, "apiVersion \"__internal\" (client-go's in-memory form) is not read here: write apiVersion: v1");
        }

        if (group.Length != 0 || version != "v1" || kind != "Config")
        {
            string gv = group.Length == 0 ? version : group + "/" + version;
            throw Refused(source, 0, $"no kind \"{kind}\" is registered for version \"{gv}\" in scheme \"k8s.io/client-go/tools/clientcmd/api/latest/latest.go:50\"");
        }
    }

    // The conversion to clientcmd's internal maps refuses a name used twice (in this order).
    private static string? DuplicateName(JsonObject config)
    {
        // Extensions: an entry whose extension is absent or null converts to nil, and a later entry may replace a nil.
        static string? Duplicate(JsonNode? list, string from, string to)
        {
            var seen = new Dictionary<string, bool>(StringComparer.Ordinal);
            foreach (var item in list as JsonArray ?? new JsonArray())
            {
                var entry = item as JsonObject;
                string name = entry is not null && IsString(entry["name"], out string? n) ? n! : string.Empty;
                if (seen.TryGetValue(name, out bool set) && set)
                {
                    return $"error converting *[]{from} into *map[string]{to}: duplicate name \"{name}\" in list";
                }

                seen[name] = entry?["extension"] is not null;
            }

            return null;
        }

        static string? Extensions(JsonNode? owner) => owner is JsonObject o ? Duplicate(o["extensions"], "NamedExtension", "runtime.Object") : null;

        static string? Section(JsonNode? list, string body, string from, string to)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            if (list is not JsonArray array)
            {
                return null;
            }

            foreach (var item in array)
            {
                var entry = item as JsonObject;
                if (Extensions(entry?[body]) is { } nested)
                {
                    return nested;
                }

                string name = entry is not null && IsString(entry["name"], out string? n) ? n! : string.Empty;
                if (!seen.Add(name))
                {
                    return $"error converting *[]{from} into *map[string]{to}: duplicate name \"{name}\" in list";
                }
            }

            return null;
        }

        return Extensions(config["preferences"])
            ?? Section(config["clusters"], "cluster", "NamedCluster", "*api.Cluster")
            ?? Section(config["users"], "user", "NamedAuthInfo", "*api.AuthInfo")
            ?? Section(config["contexts"], "context", "NamedContext", "*api.Context")
            ?? Duplicate(config["extensions"], "NamedExtension", "runtime.Object");
    }

    // sigs.k8s.io/yaml builds the JSON from a Go map: keys in byte order, which is the order errors are met in.
    internal static IEnumerable<KeyValuePair<string, JsonNode?>> Sorted(JsonObject obj) =>
        obj.OrderBy(p => p.Key, StringComparer.Ordinal);

    internal static bool IsString(JsonNode? node, out string? value)
    {
        value = null;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.String && (value = v.GetValue<string>()) is not null;
    }

    internal static string GoKind(JsonNode? node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "bool",
            _ => "number",
        },
        _ => "null",
    };

    // Go's bytes.EqualFold as encoding/json uses it for field names (K and S also match the Kelvin and long s signs).
    private static bool GoEqualFold(string a, string b)
    {
        static string Fold(string s) => s.Replace('\u212A', 'k').Replace('\u017F', 's').ToLowerInvariant();
        return string.Equals(Fold(a), Fold(b), StringComparison.Ordinal);
    }

    /// <summary>Go's base64.StdEncoding.Decode as encoding/json uses it for []byte: CR and LF skipped, padding required.</summary>
    internal static byte[]? GoBase64(string text, out string? error)
    {
        error = null;
        byte[] src = Encoding.UTF8.GetBytes(text);
        var output = new List<byte>(src.Length * 3 / 4);
        int si = 0;
        Span<byte> quantum = stackalloc byte[4];
        while (true)
        {
            int dlen = 4;
            bool end = false;
            for (int j = 0; j < 4; j++)
            {
                if (si == src.Length)
                {
                    if (j == 0)
                    {
                        return output.ToArray();
                    }

                    error = $"illegal base64 data at input byte {si - j}";
                    return null;
                }

                byte input = src[si++];
                int value = Sextet(input);
                if (value >= 0)
                {
                    quantum[j] = (byte)value;
                    continue;
                }

                if (input is (byte)'\n' or (byte)'\r')
                {
                    j--;
                    continue;
                }

                if (input != (byte)'=')
                {
                    error = $"illegal base64 data at input byte {si - 1}";
                    return null;
                }

                switch (j)
                {
                    case 0:
                    case 1:
                        error = $"illegal base64 data at input byte {si - 1}";
                        return null;
                    case 2:
                        while (si < src.Length && src[si] is (byte)'\n' or (byte)'\r')
                        {
                            si++;
                        }

                        if (si == src.Length)
                        {
                            error = $"illegal base64 data at input byte {src.Length}";
                            return null;
                        }

                        if (src[si] != (byte)'=')
                        {
                            error = $"illegal base64 data at input byte {si - 1}";
                            return null;
                        }

                        si++;
                        break;
                }

                while (si < src.Length && src[si] is (byte)'\n' or (byte)'\r')
                {
                    si++;
                }

                if (si < src.Length)
                {
                    error = $"illegal base64 data at input byte {si}";
                    return null;
                }

                dlen = j;
                end = true;
                break;
            }

            int bits = (quantum[0] << 18) | (quantum[1] << 12) | (dlen > 2 ? quantum[2] << 6 : 0) | (dlen > 3 ? quantum[3] : 0);
            if (dlen >= 2)
            {
                output.Add((byte)(bits >> 16));
            }

            if (dlen >= 3)
            {
                output.Add((byte)(bits >> 8));
            }

            if (dlen >= 4)
            {
                output.Add((byte)bits);
            }

            if (end)
            {
                return output.ToArray();
            }

            quantum.Clear();
        }
    }

    private static int Sextet(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' => 62,
        (byte)'/' => 63,
        _ => -1,
    };

    /// <summary>
    /// encoding/json (sigs.k8s.io/json's case-sensitive variant) into clientcmd's v1 types: the first error is kept
    /// and decoding goes on, as Go does; null leaves a field at its zero value.
    /// </summary>
    private sealed class GoJsonReader
    {
        public string? Error { get; private set; }

        public KubeconfigDocument ReadConfig(JsonObject config, string source)
        {
            string current = string.Empty;
            var clusters = new List<KubeconfigClusterEntry>();
            var users = new List<KubeconfigAuthInfo>();
            var contexts = new List<KubeconfigContextEntry>();
            foreach (var (key, value) in Sorted(config))
            {
                switch (key)
                {
                    case "clusters":
                        ReadList(value, "Config", "clusters", "v1.NamedCluster", clusters, (o, path) => ReadNamedCluster(o, path));
                        break;
                    case "contexts":
                        ReadList(value, "Config", "contexts", "v1.NamedContext", contexts, (o, path) => ReadNamedContext(o, path));
                        break;
                    case "current-context":
                        current = String(value, "Config", "current-context");
                        break;
                    case "extensions":
                        Extensions(value, "Config", "extensions");
                        break;
                    case "preferences":
                        if (Object(value, "Config", "preferences", "v1.Preferences") is { } preferences)
                        {
                            foreach (var (pkey, pvalue) in Sorted(preferences))
                            {
                                if (pkey == "colors")
                                {
                                    Bool(pvalue, "Preferences", "preferences.colors");
                                }
                                else if (pkey == "extensions")
                                {
                                    Extensions(pvalue, "Preferences", "preferences.extensions");
                                }
                            }
                        }

                        break;
                    case "users":
                        ReadList(value, "Config", "users", "v1.NamedAuthInfo", users, (o, path) => ReadNamedAuthInfo(o, path));
                        break;
                }
            }

            return new KubeconfigDocument
            {
                Path = source,
                Json = config,
                CurrentContext = current,
                Clusters = clusters,
                Users = users,
                Contexts = contexts,
            };
        }

        private void ReadList<T>(JsonNode? value, string owner, string path, string itemType, List<T> target, Func<JsonObject?, string, T> read)
        {
            if (value is null)
            {
                return;
            }

            if (value is not JsonArray array)
            {
                TypeError(value, owner, path, "[]" + itemType);
                return;
            }

            foreach (var item in array)
            {
                if (item is null)
                {
                    target.Add(read(null, path));
                    continue;
                }

                if (item is not JsonObject obj)
                {
                    TypeError(item, owner, path, itemType);
                    target.Add(read(null, path));
                    continue;
                }

                target.Add(read(obj, path));
            }
        }

        private KubeconfigClusterEntry ReadNamedCluster(JsonObject? entry, string path)
        {
            string name = string.Empty;
            JsonObject? body = null;
            foreach (var (key, value) in entry is null ? Enumerable.Empty<KeyValuePair<string, JsonNode?>>() : Sorted(entry))
            {
                if (key == "name")
                {
                    name = String(value, "NamedCluster", path + ".name");
                }
                else if (key == "cluster")
                {
                    body = Object(value, "NamedCluster", path + ".cluster", "v1.Cluster");
                }
            }

            string server = string.Empty, tlsServerName = string.Empty, ca = string.Empty, proxy = string.Empty;
            bool insecure = false, disableCompression = false;
            byte[]? caData = null;
            string p = path + ".cluster.";
            foreach (var (key, value) in body is null ? Enumerable.Empty<KeyValuePair<string, JsonNode?>>() : Sorted(body))
            {
                switch (key)
                {
                    case "certificate-authority": ca = String(value, "Cluster", p + key); break;
                    case "certificate-authority-data": caData = Bytes(value, "Cluster", p + key); break;
                    case "disable-compression": disableCompression = Bool(value, "Cluster", p + key); break;
                    case "extensions": Extensions(value, "Cluster", p + key); break;
                    case "insecure-skip-tls-verify": insecure = Bool(value, "Cluster", p + key); break;
                    case "proxy-url": proxy = String(value, "Cluster", p + key); break;
                    case "server": server = String(value, "Cluster", p + key); break;
                    case "tls-server-name": tlsServerName = String(value, "Cluster", p + key); break;
                }
            }

            return new KubeconfigClusterEntry
            {
                Name = name,
                Server = server,
                TlsServerName = tlsServerName,
                InsecureSkipTlsVerify = insecure,
                CertificateAuthority = ca,
                CertificateAuthorityData = caData,
                ProxyUrl = proxy,
                DisableCompression = disableCompression,
            };
        }

        private KubeconfigContextEntry ReadNamedContext(JsonObject? entry, string path)
        {
            string name = string.Empty, cluster = string.Empty, user = string.Empty, ns = string.Empty;
            JsonObject? body = null;
            foreach (var (key, value) in entry is null ? Enumerable.Empty<KeyValuePair<string, JsonNode?>>() : Sorted(entry))
            {
                if (key == "name")
                {
                    name = String(value, "NamedContext", path + ".name");
                }
                else if (key == "context")
                {
                    body = Object(value, "NamedContext", path + ".context", "v1.Context");
                }
            }

            string p = path + ".context.";
            foreach (var (key, value) in body is null ? Enumerable.Empty<KeyValuePair<string, JsonNode?>>() : Sorted(body))
            {
                switch (key)
                {
                    case "cluster": cluster = String(value, "Context", p + key); break;
                    case "extensions": Extensions(value, "Context", p + key); break;
                    case "namespace": ns = String(value, "Context", p + key); break;
                    case "user": user = String(value, "Context", p + key); break;
                }
            }

            return new KubeconfigContextEntry { Name = name, Cluster = cluster, User = user, Namespace = ns };
        }

        private KubeconfigAuthInfo ReadNamedAuthInfo(JsonObject? entry, string path)
        {
            string name = string.Empty;
            JsonObject? body = null;
            foreach (var (key, value) in entry is null ? Enumerable.Empty<KeyValuePair<string, JsonNode?>>() : Sorted(entry))
            {
                if (key == "name")
                {
                    name = String(value, "NamedAuthInfo", path + ".name");
                }
                else if (key == "user")
                {
                    body = Object(value, "NamedAuthInfo", path + ".user", "v1.AuthInfo");
                }
            }

            string p = path + ".user.";
            string clientCertificate = string.Empty, clientKey = string.Empty, token = string.Empty, tokenFile = string.Empty;
            string impersonate = string.Empty, impersonateUid = string.Empty, username = string.Empty, password = string.Empty;
            byte[]? certificateData = null, keyData = null;
            IReadOnlyList<string>? groups = null;
            IReadOnlyDictionary<string, IReadOnlyList<string>>? extra = null;
            KubeconfigAuthProvider? provider = null;
            KubeconfigExec? exec = null;
            foreach (var (key, value) in body is null ? Enumerable.Empty<KeyValuePair<string, JsonNode?>>() : Sorted(body))
            {
                switch (key)
                {
                    case "as": impersonate = String(value, "AuthInfo", p + key); break;
                    case "as-groups": groups = StringList(value, "AuthInfo", p + key); break;
                    case "as-uid": impersonateUid = String(value, "AuthInfo", p + key); break;
                    case "as-user-extra": extra = StringListMap(value, "AuthInfo", p + key); break;
                    case "auth-provider": provider = AuthProvider(value, p + key); break;
                    case "client-certificate": clientCertificate = String(value, "AuthInfo", p + key); break;
                    case "client-certificate-data": certificateData = Bytes(value, "AuthInfo", p + key); break;
                    case "client-key": clientKey = String(value, "AuthInfo", p + key); break;
                    case "client-key-data": keyData = Bytes(value, "AuthInfo", p + key); break;
                    case "exec": exec = Exec(value, p + key); break;
                    case "extensions": Extensions(value, "AuthInfo", p + key); break;
                    case "password": password = String(value, "AuthInfo", p + key); break;
                    case "token": token = String(value, "AuthInfo", p + key); break;
                    case "tokenFile": tokenFile = String(value, "AuthInfo", p + key); break;
                    case "username": username = String(value, "AuthInfo", p + key); break;
                }
            }

            return new KubeconfigAuthInfo
            {
                Name = name,
                ClientCertificate = clientCertificate,
                ClientCertificateData = certificateData,
                ClientKey = clientKey,
                ClientKeyData = keyData,
                Token = token,
                TokenFile = tokenFile,
                Impersonate = impersonate,
                ImpersonateUid = impersonateUid,
                ImpersonateGroups = groups,
                ImpersonateUserExtra = extra,
                Username = username,
                Password = password,
                AuthProvider = provider,
                Exec = exec,
            };
        }

        private KubeconfigAuthProvider? AuthProvider(JsonNode? value, string path)
        {
            if (value is null || Object(value, "AuthInfo", path, "v1.AuthProviderConfig") is not { } obj)
            {
                return null;
            }

            string name = string.Empty;
            Dictionary<string, string>? config = null;
            foreach (var (key, item) in Sorted(obj))
            {
                if (key == "name")
                {
                    name = String(item, "AuthProviderConfig", path + ".name");
                }
                else if (key == "config" && item is not null)
                {
                    if (item is not JsonObject map)
                    {
                        TypeError(item, "AuthProviderConfig", path + ".config", "map[string]string");
                        continue;
                    }

                    config = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var (entryKey, entryValue) in Sorted(map))
                    {
                        config[entryKey] = String(entryValue, "AuthProviderConfig", path + ".config");
                    }
                }
            }

            return new KubeconfigAuthProvider { Name = name, Config = config };
        }

        private KubeconfigExec? Exec(JsonNode? value, string path)
        {
            if (value is null || Object(value, "AuthInfo", path, "v1.ExecConfig") is not { } obj)
            {
                return value is null ? null : new KubeconfigExec();
            }

            string command = string.Empty, apiVersion = string.Empty, hint = string.Empty, mode = string.Empty;
            bool provide = false;
            IReadOnlyList<string>? args = null;
            List<(string, string)>? env = null;
            foreach (var (key, item) in Sorted(obj))
            {
                switch (key)
                {
                    case "apiVersion": apiVersion = String(item, "ExecConfig", path + "." + key); break;
                    case "args": args = StringList(item, "ExecConfig", path + "." + key); break;
                    case "command": command = String(item, "ExecConfig", path + "." + key); break;
                    case "env":
                        if (item is null)
                        {
                            break;
                        }

                        if (item is not JsonArray list)
                        {
                            TypeError(item, "ExecConfig", path + ".env", "[]v1.ExecEnvVar");
                            break;
                        }

                        env = new List<(string, string)>();
                        foreach (var variable in list)
                        {
                            string envName = string.Empty, envValue = string.Empty;
                            if (variable is not null and not JsonObject)
                            {
                                TypeError(variable, "ExecConfig", path + ".env", "v1.ExecEnvVar");
                            }
                            else if (variable is JsonObject pair)
                            {
                                foreach (var (field, fieldValue) in Sorted(pair))
                                {
                                    if (field == "name")
                                    {
                                        envName = String(fieldValue, "ExecEnvVar", path + ".env.name");
                                    }
                                    else if (field == "value")
                                    {
                                        envValue = String(fieldValue, "ExecEnvVar", path + ".env.value");
                                    }
                                }
                            }

                            env.Add((envName, envValue));
                        }

                        break;
                    case "installHint": hint = String(item, "ExecConfig", path + "." + key); break;
                    case "interactiveMode": mode = String(item, "ExecConfig", path + "." + key); break;
                    case "provideClusterInfo": provide = Bool(item, "ExecConfig", path + "." + key); break;
                }
            }

            return new KubeconfigExec
            {
                Command = command,
                Args = args,
                Env = env,
                ApiVersion = apiVersion,
                InstallHint = hint,
                InteractiveMode = mode,
                ProvideClusterInfo = provide,
            };
        }

        // []NamedExtension: a name and any JSON (runtime.RawExtension).
        private void Extensions(JsonNode? value, string owner, string path)
        {
            if (value is null)
            {
                return;
            }

            if (value is not JsonArray array)
            {
                TypeError(value, owner, path, "[]v1.NamedExtension");
                return;
            }

            foreach (var item in array)
            {
                if (item is not null and not JsonObject)
                {
                    TypeError(item, owner, path, "v1.NamedExtension");
                }
                else if (item is JsonObject obj && obj.TryGetPropertyValue("name", out var name))
                {
                    String(name, "NamedExtension", path + ".name");
                }
            }
        }

        private string String(JsonNode? value, string owner, string path)
        {
            if (value is null)
            {
                return string.Empty;
            }

            if (IsString(value, out string? s))
            {
                return s!;
            }

            TypeError(value, owner, path, "string");
            return string.Empty;
        }

        private bool Bool(JsonNode? value, string owner, string path)
        {
            if (value is null)
            {
                return false;
            }

            if (value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                return v.GetValueKind() == JsonValueKind.True;
            }

            TypeError(value, owner, path, "bool");
            return false;
        }

        private byte[]? Bytes(JsonNode? value, string owner, string path)
        {
            if (value is null)
            {
                return null;
            }

            if (!IsString(value, out string? s))
            {
                TypeError(value, owner, path, "[]uint8");
                return null;
            }

            byte[]? bytes = GoBase64(s!, out string? error);
            if (error is not null)
            {
                Error ??= error;
            }

            return bytes;
        }

        private IReadOnlyList<string>? StringList(JsonNode? value, string owner, string path)
        {
            if (value is null)
            {
                return null;
            }

            if (value is not JsonArray array)
            {
                TypeError(value, owner, path, "[]string");
                return null;
            }

            return array.Select(item => String(item, owner, path)).ToArray();
        }

        private IReadOnlyDictionary<string, IReadOnlyList<string>>? StringListMap(JsonNode? value, string owner, string path)
        {
            if (value is null)
            {
                return null;
            }

            if (value is not JsonObject map)
            {
                TypeError(value, owner, path, "map[string][]string");
                return null;
            }

            var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var (key, item) in Sorted(map))
            {
                result[key] = StringList(item, owner, path) ?? Array.Empty<string>();
            }

            return result;
        }

        private JsonObject? Object(JsonNode? value, string owner, string path, string goType)
        {
            if (value is null)
            {
                return null;
            }

            if (value is JsonObject obj)
            {
                return obj;
            }

            TypeError(value, owner, path, goType);
            return null;
        }

        private void TypeError(JsonNode value, string owner, string path, string goType) =>
            Error ??= $"json: cannot unmarshal {GoKind(value)} into Go struct field {owner}.{path} of type {goType}";
    }
}
