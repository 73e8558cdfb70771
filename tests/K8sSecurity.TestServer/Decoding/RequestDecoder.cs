using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Decoding;

/// <summary>How a write treats fields the schema does not know (and duplicate fields): the fieldValidation parameter.</summary>
public enum FieldValidation
{
    /// <summary>Dropped silently.</summary>
    Ignore,

    /// <summary>Dropped, one Warning header each (the default since v1.27, golden 75).</summary>
    Warn,

    /// <summary>400 BadRequest "strict decoding error" (golden 74, 77).</summary>
    Strict,
}

/// <summary>
/// The decoding step of kube-apiserver for JSON request bodies: duplicate fields are noticed while parsing, unknown
/// fields are pruned (the typed object has nowhere to keep them) and reported per fieldValidation, and a JSON value of
/// the wrong type fails the whole request like Go's json.Unmarshal (400 "cannot be handled as a …", golden 78, 80).
/// </summary>
public static class RequestDecoder
{
    /// <summary>Parses JSON text, keeping the last value of a duplicated field and recording its path.</summary>
    public static JsonNode? ParseJson(string text, List<string> duplicates)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 512 });
        try
        {
            if (!reader.Read())
            {
                return null;
            }

            var node = ReadValue(ref reader, "", duplicates);
            if (reader.Read())
            {
                throw new JsonException("invalid character after top-level value");
            }

            return node;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader, string path, List<string> duplicates)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                {
                    var o = new JsonObject();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        var key = reader.GetString()!;
                        reader.Read();
                        var childPath = path.Length == 0 ? key : path + "." + key;
                        var value = ReadValue(ref reader, childPath, duplicates);
                        if (o.ContainsKey(key))
                        {
                            duplicates.Add(childPath);
                            o.Remove(key);
                        }

                        o[key] = value;
                    }

                    return o;
                }

            case JsonTokenType.StartArray:
                {
                    var a = new JsonArray();
                    var i = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        a.Add(ReadValue(ref reader, $"{path}[{i++}]", duplicates));
                    }

                    return a;
                }

            case JsonTokenType.String:
                return JsonValue.Create(reader.GetString());
            case JsonTokenType.Number:
                return JsonNode.Parse(Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray()));
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            case JsonTokenType.Null:
                return null;
            default:
                throw new JsonException("unexpected token " + reader.TokenType);
        }
    }

    /// <summary>The fieldValidation query parameter ("" means the default, Warn).</summary>
    public static FieldValidation ParseMode(string value) => value switch
    {
        "Strict" => FieldValidation.Strict,
        "Ignore" => FieldValidation.Ignore,
        _ => FieldValidation.Warn,
    };

    /// <summary>
    /// Checks <paramref name="obj"/> against the schema of <paramref name="type"/>, removes unknown fields and returns
    /// the warnings to send (Warn). Throws 400 for a wrong JSON type and, under Strict, for unknown or duplicate fields.
    /// Kinds without a schema pass unchanged.
    /// </summary>
    public static List<string> Decode(ResourceType type, JsonObject obj, FieldValidation mode, IReadOnlyList<string> duplicates) =>
        Decode(type.Kind, type.Version, obj, mode, duplicates);

    /// <summary>Same for a body whose kind is not the URL's resource (TokenRequest on serviceaccounts/token).</summary>
    public static List<string> Decode(string kind, string version, JsonObject obj, FieldValidation mode, IReadOnlyList<string> duplicates)
    {
        var type = new ResourceType("", version, "", kind, false);
        var schema = ApiSchema.ForKind(type.Kind);
        var problems = duplicates.Select(d => $"duplicate field \"{d}\"").ToList();
        if (schema is not null)
        {
            var unknown = new List<string>();
            Walk(type, obj, schema, "", "", unknown);
            problems.AddRange(unknown.Select(u => $"unknown field \"{u}\""));
        }

        if (problems.Count == 0 || mode == FieldValidation.Ignore)
        {
            return [];
        }

        if (mode == FieldValidation.Strict)
        {
            throw CannotHandle(type, "strict decoding error: " + string.Join(", ", problems));
        }

        return problems;
    }

    public static ApiException CannotHandle(ResourceType type, string reason) =>
        StatusResponses.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: {reason}");

    /// <summary><paramref name="fieldPath"/>: JSON keys joined by '.' (as UnmarshalTypeError.Field); <paramref name="strictPath"/>: with [i] (as strict errors).</summary>
    private static void Walk(ResourceType type, JsonNode? node, SchemaType schema, string fieldPath, string strictPath, List<string> unknown, SchemaType? parentStruct = null)
    {
        if (node is null || schema.Kind == SchemaKind.Any || schema.Open)
        {
            return;
        }

        var valueKind = node.GetValueKind();
        switch (schema.Kind)
        {
            case SchemaKind.Struct:
                if (node is not JsonObject o)
                {
                    throw TypeError(type, node, schema, fieldPath, parentStruct);
                }

                foreach (var (key, value) in o.ToList())
                {
                    var childField = fieldPath.Length == 0 ? key : fieldPath + "." + key;
                    var childStrict = strictPath.Length == 0 ? key : strictPath + "." + key;
                    if (!schema.Fields.TryGetValue(key, out var fieldSchema))
                    {
                        unknown.Add(childStrict);
                        o.Remove(key);
                        continue;
                    }

                    Walk(type, value, fieldSchema, childField, childStrict, unknown, schema);
                }

                break;
            case SchemaKind.Slice:
                if (node is not JsonArray a)
                {
                    throw TypeError(type, node, schema, fieldPath, parentStruct);
                }

                for (var i = 0; i < a.Count; i++)
                {
                    Walk(type, a[i], schema.Element!, fieldPath, $"{strictPath}[{i}]", unknown, parentStruct);
                }

                break;
            case SchemaKind.Map:
                if (node is not JsonObject m)
                {
                    throw TypeError(type, node, schema, fieldPath, parentStruct);
                }

                foreach (var (key, value) in m)
                {
                    Walk(type, value, schema.Element!, fieldPath, $"{strictPath}[{key}]", unknown, parentStruct);
                }

                break;
            case SchemaKind.String or SchemaKind.Time:
                if (valueKind != JsonValueKind.String)
                {
                    throw TypeError(type, node, schema.Kind == SchemaKind.Time ? new SchemaType { Kind = SchemaKind.String, GoName = "string" } : schema, fieldPath, parentStruct);
                }

                break;
            case SchemaKind.Bytes:
                if (valueKind != JsonValueKind.String)
                {
                    throw TypeError(type, node, schema, fieldPath, parentStruct);
                }

                try
                {
                    Convert.FromBase64String(node.GetValue<string>());
                }
                catch (FormatException)
                {
                    throw CannotHandle(type, "illegal base64 data at input byte 0");
                }

                break;
            case SchemaKind.Bool:
                if (valueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    throw TypeError(type, node, schema, fieldPath, parentStruct);
                }

                break;
            case SchemaKind.Int32 or SchemaKind.Int64:
                if (valueKind != JsonValueKind.Number)
                {
                    throw TypeError(type, node, schema, fieldPath, parentStruct);
                }

                var text = node.ToJsonString();
                var fits = schema.Kind == SchemaKind.Int32
                    ? int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                    : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
                if (!fits)
                {
                    throw TypeError(type, node, schema, fieldPath, parentStruct, "number " + text);
                }

                break;
            case SchemaKind.Quantity:
                if (valueKind is not (JsonValueKind.String or JsonValueKind.Number))
                {
                    throw CannotHandle(type, Quantity.ParseErrorMessage);
                }

                break;
            case SchemaKind.IntOrString:
                if (valueKind is not (JsonValueKind.String or JsonValueKind.Number))
                {
                    throw CannotHandle(type, $"json: cannot unmarshal {JsonKind(node)} into Go value of type int32");
                }

                break;
        }
    }

    private static ApiException TypeError(ResourceType type, JsonNode node, SchemaType schema, string fieldPath, SchemaType? parentStruct, string? value = null)
    {
        var what = value ?? JsonKind(node);
        var reason = parentStruct is null
            ? $"json: cannot unmarshal {what} into Go value of type {schema.GoName}"
            : $"json: cannot unmarshal {what} into Go struct field {parentStruct.StructName}.{fieldPath} of type {schema.GoName}";
        return CannotHandle(type, reason);
    }

    private static string JsonKind(JsonNode node) => node.GetValueKind() switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        _ => "bool",
    };
}
