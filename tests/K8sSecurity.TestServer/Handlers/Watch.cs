using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>
/// ?watch=true: newline-delimited {"type","object"} events, like the watch cache. Without resourceVersion (or "0") the
/// current matching objects come first as ADDED (with sendInitialEvents=true and allowWatchBookmarks a BOOKMARK marked
/// k8s.io/initial-events-end follows); with a resourceVersion the changes after it are replayed from history, or, when
/// that history was compacted or dropped, a single ERROR event 410 Expired "too old resource version" ends the watch.
/// allowWatchBookmarks=true adds BOOKMARK events every <see cref="KubeApiTestServerOptions.WatchBookmarkInterval"/>.
/// Ends after timeoutSeconds, when the client goes away or the server stops.
/// </summary>
internal static class Watch
{
    public static async Task RunAsync(HttpContext ctx, RequestContext rc, CancellationToken stopping)
    {
        var type = rc.RequiredType;
        var store = rc.Server.Store;
        var labels = LabelSelector.Parse(rc.QueryValue("labelSelector"));
        var fields = FieldSelector.Parse(rc.QueryValue("fieldSelector"), type);
        var bookmarks = rc.QueryValue("allowWatchBookmarks") == "true";
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

        JsonObject Bookmark(bool initialEventsEnd)
        {
            var md = new JsonObject { ["resourceVersion"] = store.CurrentResourceVersion.ToString(CultureInfo.InvariantCulture), ["creationTimestamp"] = null };
            if (initialEventsEnd)
            {
                md["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
            }

            return new JsonObject { ["type"] = "BOOKMARK", ["object"] = new JsonObject { ["kind"] = type.Kind, ["apiVersion"] = type.ApiVersion, ["metadata"] = md } };
        }

        var rv = rc.QueryValue("resourceVersion");
        var expired = false;
        lock (store.SyncRoot)
        {
            if (rv is "" or "0")
            {
                foreach (var o in store.ListRaw(type, rc.Namespace).Where(o => Matches(type, o)))
                {
                    channel.Writer.TryWrite(new JsonObject { ["type"] = "ADDED", ["object"] = store.View(type, o) });
                }

                if (bookmarks && rc.QueryValue("sendInitialEvents") == "true")
                {
                    channel.Writer.TryWrite(Bookmark(initialEventsEnd: true));
                }
            }
            else
            {
                var from = long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
                var history = from < 0 || from < store.CompactedResourceVersion ? null : store.EventsAfter(from);
                if (history is null)
                {
                    expired = true;
                    channel.Writer.TryWrite(new JsonObject
                    {
                        ["type"] = "ERROR",
                        ["object"] = StatusResponses.Failure(410, "Expired", $"too old resource version: {rv} ({Math.Max(store.CompactedResourceVersion, 0) + 1})", null),
                    });
                }
                else
                {
                    foreach (var e in history.Where(e => Matches(e.ResourceType, e.Object)))
                    {
                        channel.Writer.TryWrite(new JsonObject { ["type"] = e.Type, ["object"] = store.View(e.ResourceType, e.Object) });
                    }
                }
            }

            if (!expired)
            {
                store.Changed += OnChange;
            }
            else
            {
                channel.Writer.TryComplete();
            }
        }

        var timeout = int.TryParse(rc.QueryValue("timeoutSeconds"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) && t > 0 ? t : 1800;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        cts.CancelAfter(TimeSpan.FromSeconds(timeout));
        var bookmarker = bookmarks && !expired
            ? Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(rc.Server.Options.WatchBookmarkInterval);
                while (await timer.WaitForNextTickAsync(cts.Token).ConfigureAwait(false))
                {
                    lock (store.SyncRoot)
                    {
                        channel.Writer.TryWrite(Bookmark(initialEventsEnd: false));
                    }
                }
            })
            : Task.CompletedTask;
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
            await cts.CancelAsync().ConfigureAwait(false);
            try
            {
                await bookmarker.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // the bookmark timer stops with the watch
            }

            lock (store.SyncRoot)
            {
                store.Changed -= OnChange;
            }
        }
    }
}
