using System.Text;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>
/// kubectl's typed clients (e.g. `kubectl auth can-i`) POST review objects as application/vnd.kubernetes.protobuf
/// and kubectl 1.32 does not fall back to JSON on 415. This decodes the k8s protobuf envelope ("k8s\0" +
/// runtime.Unknown) for the review types only, into the same JSON the handlers read. Answers stay JSON (client-go
/// decodes by the response Content-Type). Other kinds get 415.
/// </summary>
internal static class ProtobufBody
{
    private enum F
    {
        Str,
        Strings,
        Msg,
        Map,
    }

    private sealed record Field(string Name, F Kind, string? Message = null);

    private static readonly Dictionary<string, Dictionary<int, Field>> Schemas = new(StringComparer.Ordinal)
    {
        ["ObjectMeta"] = new() { [1] = new("name", F.Str), [2] = new("generateName", F.Str), [3] = new("namespace", F.Str) },
        ["ResourceAttributes"] = new()
        {
            [1] = new("namespace", F.Str), [2] = new("verb", F.Str), [3] = new("group", F.Str), [4] = new("version", F.Str),
            [5] = new("resource", F.Str), [6] = new("subresource", F.Str), [7] = new("name", F.Str),
        },
        ["NonResourceAttributes"] = new() { [1] = new("path", F.Str), [2] = new("verb", F.Str) },
        ["SelfSubjectAccessReviewSpec"] = new() { [1] = new("resourceAttributes", F.Msg, "ResourceAttributes"), [2] = new("nonResourceAttributes", F.Msg, "NonResourceAttributes") },
        ["SubjectAccessReviewSpec"] = new()
        {
            [1] = new("resourceAttributes", F.Msg, "ResourceAttributes"), [2] = new("nonResourceAttributes", F.Msg, "NonResourceAttributes"),
            [3] = new("user", F.Str), [4] = new("groups", F.Strings), [5] = new("extra", F.Map), [6] = new("uid", F.Str),
        },
        ["SelfSubjectRulesReviewSpec"] = new() { [1] = new("namespace", F.Str) },
        ["TokenReviewSpec"] = new() { [1] = new("token", F.Str), [2] = new("audiences", F.Strings) },
        ["SelfSubjectAccessReview"] = new() { [1] = new("metadata", F.Msg, "ObjectMeta"), [2] = new("spec", F.Msg, "SelfSubjectAccessReviewSpec") },
        ["SubjectAccessReview"] = new() { [1] = new("metadata", F.Msg, "ObjectMeta"), [2] = new("spec", F.Msg, "SubjectAccessReviewSpec") },
        ["LocalSubjectAccessReview"] = new() { [1] = new("metadata", F.Msg, "ObjectMeta"), [2] = new("spec", F.Msg, "SubjectAccessReviewSpec") },
        ["SelfSubjectRulesReview"] = new() { [1] = new("metadata", F.Msg, "ObjectMeta"), [2] = new("spec", F.Msg, "SelfSubjectRulesReviewSpec") },
        ["SelfSubjectReview"] = new() { [1] = new("metadata", F.Msg, "ObjectMeta") },
        ["TokenReview"] = new() { [1] = new("metadata", F.Msg, "ObjectMeta"), [2] = new("spec", F.Msg, "TokenReviewSpec") },
        ["TypeMeta"] = new() { [1] = new("apiVersion", F.Str), [2] = new("kind", F.Str) },
        ["Unknown"] = new() { [1] = new("typeMeta", F.Msg, "TypeMeta"), [2] = new("raw", F.Str), [3] = new("contentEncoding", F.Str), [4] = new("contentType", F.Str) },
    };

    public static JsonNode Decode(byte[] body, string contentType, ResourceType? type)
    {
        if (type is null || !Schemas.ContainsKey(type.Kind) || body.Length < 4 || Encoding.ASCII.GetString(body, 0, 4) != "k8s\0")
        {
            throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml ({contentType})");
        }

        try
        {
            var raw = Fields(body.AsSpan(4)).Where(f => f.Number == 2).Select(f => f.Bytes).FirstOrDefault() ?? [];
            var obj = Message(raw, type.Kind);
            obj["apiVersion"] = type.ApiVersion;
            obj["kind"] = type.Kind;
            return obj;
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentOutOfRangeException or FormatException)
        {
            throw StatusResponses.BadRequest("invalid protobuf body: " + ex.Message);
        }
    }

    private static JsonObject Message(byte[] data, string schema)
    {
        var fields = Schemas[schema];
        var o = new JsonObject();
        foreach (var (number, bytes) in Fields(data))
        {
            if (bytes is null || !fields.TryGetValue(number, out var f))
            {
                continue;
            }

            switch (f.Kind)
            {
                case F.Str:
                    var s = Encoding.UTF8.GetString(bytes);
                    if (s.Length > 0)
                    {
                        o[f.Name] = s;
                    }

                    break;
                case F.Strings:
                    ((o[f.Name] ??= new JsonArray()) as JsonArray)!.Add(Encoding.UTF8.GetString(bytes));
                    break;
                case F.Msg:
                    o[f.Name] = Message(bytes, f.Message!);
                    break;
                case F.Map:
                    {
                        // map<string, ExtraValue{repeated string items = 1}>: entries are {1: key, 2: value}.
                        string? key = null;
                        var values = new JsonArray();
                        foreach (var (n, b) in Fields(bytes))
                        {
                            if (n == 1 && b is not null)
                            {
                                key = Encoding.UTF8.GetString(b);
                            }
                            else if (n == 2 && b is not null)
                            {
                                foreach (var (_, item) in Fields(b))
                                {
                                    if (item is not null)
                                    {
                                        values.Add(Encoding.UTF8.GetString(item));
                                    }
                                }
                            }
                        }

                        if (key is not null)
                        {
                            ((o[f.Name] ??= new JsonObject()) as JsonObject)![key] = values;
                        }

                        break;
                    }
            }
        }

        return o;
    }

    /// <summary>Protobuf wire format: (field number, bytes) for length-delimited fields, (number, null) for others.</summary>
    private static List<(int Number, byte[]? Bytes)> Fields(ReadOnlySpan<byte> data)
    {
        var result = new List<(int, byte[]?)>();
        var i = 0;
        while (i < data.Length)
        {
            var key = Varint(data, ref i);
            var number = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    Varint(data, ref i);
                    result.Add((number, null));
                    break;
                case 1:
                    i += 8;
                    result.Add((number, null));
                    break;
                case 2:
                    var len = (int)Varint(data, ref i);
                    result.Add((number, data.Slice(i, len).ToArray()));
                    i += len;
                    break;
                case 5:
                    i += 4;
                    result.Add((number, null));
                    break;
                default:
                    throw new FormatException($"unsupported wire type {key & 7}");
            }
        }

        return result;
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int i)
    {
        ulong value = 0;
        var shift = 0;
        while (true)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }

            shift += 7;
        }
    }
}
