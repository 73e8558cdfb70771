using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>
/// ?watch=true: newline-delimited {"type","object"} events. Without resourceVersion (or "0") the current matching
/// objects come first as ADDED, like a fresh watch; with another resourceVersion only later changes are sent
/// (no history replay). Ends after timeoutSeconds, when the client goes away or the server stops.
/// </summary>
internal static class Watch
{
    public static async Task RunAsync(HttpContext ctx, RequestContext rc, CancellationToken stopping)
    {
        var type = rc.RequiredType;
        var store = rc.Server.Store;
        var labels = LabelSelector.Parse(rc.QueryValue("labelSelector"));
        var fields = FieldSelector.Parse(rc.QueryValue("fieldSelector"), type);
        var channel = Channel.CreateUnbounded<JsonObject>();

        bool Matches(ResourceType t, JsonObject o) =>
            t == type
            && (rc.Namespace.Length == 0 || o.Str("metadata", "namespace") == rc.Namespace)
            && labels.Matches(o.StringMap("metadata", "labels")) && fields.Matches(o);

        void OnChange(string eventType, ResourceType t, JsonObject o)
        {
            if (Matches(t, o))
            {
                channel.Writer.TryWrite(new JsonObject { ["type"] = eventType, ["object"] = store.View(t, o) });
            }
        }

        var rv = rc.QueryValue("resourceVersion");
        lock (store.SyncRoot)
        {
            if (rv is "" or "0")
            {
                foreach (var o in store.ListRaw(type, rc.Namespace).Where(o => Matches(type, o)))
                {
                    channel.Writer.TryWrite(new JsonObject { ["type"] = "ADDED", ["object"] = store.View(type, o) });
                }
            }

            store.Changed += OnChange;
        }

        var timeout = int.TryParse(rc.QueryValue("timeoutSeconds"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) && t > 0 ? t : 1800;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        cts.CancelAfter(TimeSpan.FromSeconds(timeout));
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        try
        {
            await ctx.Response.StartAsync(cts.Token).ConfigureAwait(false);
            await foreach (var ev in channel.Reader.ReadAllAsync(cts.Token).ConfigureAwait(false))
            {
                await ctx.Response.WriteAsync(ev.ToJsonString(JsonUtil.Compact) + "\n", cts.Token).ConfigureAwait(false);
                await ctx.Response.Body.FlushAsync(cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // timeout, client gone or server stopping: end the stream normally
        }
        finally
        {
            lock (store.SyncRoot)
            {
                store.Changed -= OnChange;
            }
        }
    }
}
