using System.Diagnostics;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Tests.Audit;

/// <summary>
/// A test that needs headless Chromium. Without Chromium it is skipped with the reason, so a developer's machine
/// without a browser still runs the rest; under CI (CI=true, where .ci/run installs Chromium) it is never skipped,
/// so a missing browser fails the run instead of hiding the browser tests.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : Xunit.FactAttribute
{
    public ChromiumFactAttribute()
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (HeadlessChromium.Installed is null && !ci)
        {
            Skip = "Chromium is not installed (apt-get install chromium); under CI=true this test runs and fails instead.";
        }
    }
}

/// <summary>
/// Drives Debian's headless Chromium over the DevTools protocol: loads a page, collects uncaught exceptions,
/// console errors and every network request, and evaluates JavaScript. Also takes CLI screenshots.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private static readonly string[] Candidates = { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" };
    private readonly Process process;
    private readonly string profile;
    private readonly ClientWebSocket socket = new();
    private readonly Dictionary<int, TaskCompletionSource<JsonObject>> pending = new();
    private readonly List<string> errors = new();
    private readonly List<string> requests = new();
    private readonly CancellationTokenSource stop = new();
    private TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int nextId;
    private Task? receiver;

    private HeadlessChromium(Process process, string profile)
    {
        this.process = process;
        this.profile = profile;
    }

    /// <summary>Uncaught exceptions, console.error calls and error log entries, in order.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (errors)
            {
                return errors.ToList();
            }
        }
    }

    /// <summary>URLs of every request the page made (the page itself included).</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (requests)
            {
                return requests.ToList();
            }
        }
    }

    /// <summary>The installed Chromium, or null.</summary>
    public static string? Installed => Candidates.FirstOrDefault(File.Exists);

    public static string Executable =>
        Installed ?? throw new InvalidOperationException("Chromium is not installed: apt-get install -y chromium (the CI script does this).");

    public static async Task<HeadlessChromium> OpenAsync(string file)
    {
        string profile = NewProfile();
        var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in CommonArguments(profile).Append("--remote-debugging-port=0").Append("about:blank"))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var browser = new HeadlessChromium(process, profile);
        await browser.ConnectAsync();
        await browser.NavigateAsync(new Uri(file).AbsoluteUri);
        return browser;
    }

    /// <summary>chromium --headless --screenshot=&lt;png&gt; &lt;file&gt;; returns the PNG path.</summary>
    public static async Task<string> ScreenshotAsync(string file, string png, int width = 1400, int height = 2200)
    {
        string profile = NewProfile();
        var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in CommonArguments(profile)
                     .Append($"--screenshot={png}").Append($"--window-size={width},{height}").Append("--hide-scrollbars").Append(new Uri(file).AbsoluteUri))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        await Task.WhenAll(stderr, stdout);
        TryDelete(profile);
        if (!File.Exists(png))
        {
            throw new InvalidOperationException($"Chromium wrote no screenshot (exit {process.ExitCode}): {await stderr}");
        }

        return png;
    }

    /// <summary>Evaluates an expression in the page and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var response = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (response["result"]?["exceptionDetails"] is JsonObject exception)
        {
            throw new InvalidOperationException($"Evaluation failed: {exception.ToJsonString()}");
        }

        return response["result"]?["result"]?["value"]?.DeepClone();
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        if (receiver is not null)
        {
            try
            {
                await receiver;
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
            }
        }

        socket.Dispose();
        process.Dispose();
        stop.Dispose();
        TryDelete(profile);
    }

    private static IEnumerable<string> CommonArguments(string profile) => new[]
    {
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
    };

    private static string NewProfile()
    {
        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-chromium", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task ConnectAsync()
    {
        string portFile = Path.Combine(profile, "DevToolsActivePort");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!File.Exists(portFile) || (await File.ReadAllTextAsync(portFile, timeout.Token)).Split('\n')[0].Length == 0)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Chromium exited with {process.ExitCode} before opening DevTools.");
            }

            await Task.Delay(100, timeout.Token);
        }

        string port = (await File.ReadAllTextAsync(portFile, timeout.Token)).Split('\n')[0].Trim();
        using var http = new HttpClient();
        JsonArray targets = new();
        while (!targets.OfType<JsonObject>().Any(t => t["type"]?.GetValue<string>() == "page"))
        {
            targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list"), timeout.Token)) as JsonArray ?? new JsonArray();
            if (!targets.OfType<JsonObject>().Any(t => t["type"]?.GetValue<string>() == "page"))
            {
                await Task.Delay(100, timeout.Token);
            }
        }

        string url = targets.OfType<JsonObject>().First(t => t["type"]?.GetValue<string>() == "page")["webSocketDebuggerUrl"]!.GetValue<string>();
        await socket.ConnectAsync(new Uri(url), timeout.Token);
        receiver = Task.Run(ReceiveLoopAsync);
        await SendAsync("Runtime.enable", new JsonObject());
        await SendAsync("Log.enable", new JsonObject());
        await SendAsync("Network.enable", new JsonObject());
        await SendAsync("Page.enable", new JsonObject());
    }

    private async Task NavigateAsync(string url)
    {
        loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        await loaded.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private async Task<JsonObject> SendAsync(string method, JsonObject parameters)
    {
        int id = Interlocked.Increment(ref nextId);
        var completion = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (pending)
        {
            pending[id] = completion;
        }

        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        await socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, stop.Token);
        var response = await completion.Task.WaitAsync(TimeSpan.FromSeconds(60));
        if (response["error"] is JsonObject error)
        {
            throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
        }

        return response;
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (!stop.IsCancellationRequested && socket.State == WebSocketState.Open)
        {
            var result = await socket.ReceiveAsync(buffer, stop.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            var json = JsonNode.Parse(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length)) as JsonObject;
            message.SetLength(0);
            if (json is null)
            {
                continue;
            }

            if (json["id"] is JsonValue idValue)
            {
                TaskCompletionSource<JsonObject>? completion;
                lock (pending)
                {
                    pending.Remove(idValue.GetValue<int>(), out completion);
                }

                completion?.TrySetResult(json);
                continue;
            }

            Handle(json["method"]?.GetValue<string>(), json["params"] as JsonObject);
        }
    }

    private void Handle(string? method, JsonObject? parameters)
    {
        switch (method)
        {
            case "Page.loadEventFired":
                loaded.TrySetResult();
                break;
            case "Runtime.exceptionThrown":
                AddError("Uncaught: " + (parameters?["exceptionDetails"]?["exception"]?["description"]?.ToString() ?? parameters?["exceptionDetails"]?["text"]?.ToString()));
                break;
            case "Runtime.consoleAPICalled":
                if (Text(parameters, "type") is "error" or "assert")
                {
                    AddError("console.error: " + parameters?["args"]?.ToJsonString());
                }

                break;
            case "Log.entryAdded":
                var entry = parameters?["entry"] as JsonObject;
                if (Text(entry, "level") == "error")
                {
                    AddError("log: " + Text(entry, "text") + " " + Text(entry, "url"));
                }

                break;
            case "Network.requestWillBeSent":
                lock (requests)
                {
                    requests.Add(parameters?["request"]?["url"]?.ToString() ?? string.Empty);
                }

                break;
        }
    }

    private static string? Text(JsonObject? node, string name) => node?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private void AddError(string error)
    {
        lock (errors)
        {
            errors.Add(error);
        }
    }
}
