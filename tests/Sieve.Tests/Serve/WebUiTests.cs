using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sieve.Tests.Support;

namespace Sieve.Tests.Serve;

/// <summary>
/// <c>sieve serve</c>'s web UI at <c>/</c>, in a real headless Chromium driven over the DevTools protocol: an image is
/// picked, and the page must show the server's answer, the dense and reduced rows and the merge map, with no console
/// error, failed request or uncaught exception along the way.
/// </summary>
public sealed class WebUiTests(ServeModels models, BlipServeModels blip) : IClassFixture<ServeModels>, IClassFixture<BlipServeModels>
{
    [ChromiumFact]
    public async Task PickingAnImageShowsTheAnswerTheCostsAndTheMergeMap()
    {
        await using var server = await ServeHarness.StartAsync(models.Vit.Directory, reducer: "tome:r=2");
        using var temp = new TempFolder("sieve-webui-");
        string dataUrl = ServeHarness.Png(seed: 3);

        await using var page = await PickImageAsync(server, temp.Path, seed: 3);
        Assert.Equal("classify", await page.EvaluateAsync<string>("document.getElementById('task').value"));
        Assert.Equal("tome:r=2", await page.EvaluateAsync<string>("document.getElementById('reducer').value"));

        // The page shows what the endpoints answer for the same image.
        var (_, classified, _) = await server.PostAsync("/v1/classify", new { image = dataUrl, reducer = "tome:r=2" });
        var top = classified.GetProperty("predictions")[0];
        string firstLine = await page.EvaluateAsync<string>("document.querySelector('#answer li').textContent");
        Assert.StartsWith($"{top.GetProperty("label").GetString()} ({top.GetProperty("index").GetInt32()}) ", firstLine);
        Assert.Equal(classified.GetProperty("predictions").GetArrayLength(), await page.EvaluateAsync<int>("document.querySelectorAll('#answer li').length"));
        // 17 tokens dense; ToMe r=2 over 2 blocks keeps 13, at fewer multiply-adds.
        Assert.Equal("17", await page.EvaluateAsync<string>("document.querySelector('#dense').children[3].textContent"));
        Assert.Equal("13", await page.EvaluateAsync<string>("document.querySelector('#reduced').children[3].textContent"));
        Assert.True(await page.EvaluateAsync<bool>(
            "+document.querySelector('#reduced').children[2].textContent < +document.querySelector('#dense').children[2].textContent"));
        var (_, map, _) = await server.PostAsync("/v1/mergemap", new { image = dataUrl, reducer = "tome:r=2" });
        await page.WaitForAsync("document.getElementById('mergemap').complete && document.getElementById('mergemap').naturalWidth > 0");
        Assert.Equal(map.GetProperty("image").GetString(), await page.EvaluateAsync<string>("document.getElementById('mergemap').src"));

        Assert.Empty(page.Errors);
    }

    [ChromiumFact]
    public async Task AClipModelGetsZeroShotLabelsFromTheLabelsField()
    {
        await using var server = await ServeHarness.StartAsync(models.Clip.Directory, reducer: "tome:r=1");
        using var temp = new TempFolder("sieve-webui-");

        await using var page = await PickImageAsync(server, temp.Path, seed: 8);
        Assert.Equal("zeroshot", await page.EvaluateAsync<string>("document.getElementById('task').value"));
        var (_, zeroShot, _) = await server.PostAsync("/v1/zeroshot", new { image = ServeHarness.Png(seed: 8), labels = new[] { "cat", "dog", "car" }, reducer = "tome:r=1" });
        var lines = zeroShot.GetProperty("predictions").EnumerateArray().Select(p => $"{p.GetProperty("label").GetString()} ({p.GetProperty("index").GetInt32()}) ").ToArray();
        Assert.Equal(3, lines.Length); // the page's default labels, cat,dog,car
        for (int i = 0; i < lines.Length; i++)
            Assert.StartsWith(lines[i], await page.EvaluateAsync<string>($"document.querySelectorAll('#answer li')[{i}].textContent"));
        Assert.Empty(page.Errors);
    }

    [ChromiumFact]
    public async Task ABlipCaptioningModelOffersCaptionAndShowsTheCaption()
    {
        await using var server = await ServeHarness.StartAsync(blip.Caption.Directory, reducer: "tome:r=2");
        using var temp = new TempFolder("sieve-webui-");

        await using var page = await PickImageAsync(server, temp.Path, seed: 9);
        Assert.Equal(["caption"], JsonSerializer.Deserialize<string[]>(await page.EvaluateAsync<string>("JSON.stringify([...document.getElementById('task').options].map(o => o.value))"))!);
        var (_, captioned, _) = await server.PostAsync("/v1/caption", new { image = ServeHarness.Png(seed: 9), reducer = "tome:r=2" });
        Assert.Equal(captioned.GetProperty("caption").GetString(), await page.EvaluateAsync<string>("document.querySelector('#answer li').textContent"));
        Assert.Equal("17", await page.EvaluateAsync<string>("document.querySelector('#dense').children[3].textContent"));
        Assert.Equal("13", await page.EvaluateAsync<string>("document.querySelector('#reduced').children[3].textContent"));
        Assert.True(await page.EvaluateAsync<bool>("document.getElementById('mergemap').hidden")); // no image encoder of its own to draw
        Assert.Empty(page.Errors);
    }

    /// <summary>
    /// Opens the served page in a fresh Chromium (its profile in <paramref name="folder"/>), picks a PNG written there
    /// (<see cref="ServeHarness.PngBytes"/> of <paramref name="seed"/>) and waits until the page shows a result without an error.
    /// </summary>
    static async Task<DevToolsPage> PickImageAsync(ServeHarness server, string folder, int seed)
    {
        string imagePath = Path.Combine(folder, "picked.png");
        File.WriteAllBytes(imagePath, ServeHarness.PngBytes(seed: seed));
        Assert.True(ChromiumFactAttribute.Binary != null, "SIEVE_REQUIRE_SHARED=1 requires Chromium at /usr/bin/chromium");
        var page = await DevToolsPage.OpenAsync(ChromiumFactAttribute.Binary!, Path.Combine(folder, "profile"));
        try
        {
            await page.NavigateAsync(server.Client.BaseAddress!.ToString());
            await page.WaitForAsync("document.getElementById('task').options.length > 0");
            await page.SetFileAsync("#file", imagePath);
            await page.WaitForAsync("document.getElementById('status').textContent === 'done' || document.getElementById('error').textContent !== ''");
            Assert.Equal("", await page.EvaluateAsync<string>("document.getElementById('error').textContent"));
            return page;
        }
        catch
        {
            await page.DisposeAsync();
            throw;
        }
    }

    /// <summary>One Chromium tab, over the DevTools protocol's WebSocket; collects every console error, failed load and uncaught exception.</summary>
    sealed class DevToolsPage : IAsyncDisposable
    {
        static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
        readonly Process _browser;
        readonly ClientWebSocket _socket = new();
        readonly Dictionary<int, TaskCompletionSource<JsonNode>> _pending = [];
        readonly List<string> _errors = [];
        Task _reader = Task.CompletedTask;
        int _nextId;

        public IReadOnlyList<string> Errors { get { lock (_errors) return [.. _errors]; } }

        DevToolsPage(Process browser) => _browser = browser;

        public static async Task<DevToolsPage> OpenAsync(string binary, string profile)
        {
            var start = new ProcessStartInfo(binary, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                $"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"]) { RedirectStandardError = true, RedirectStandardOutput = true };
            var browser = Process.Start(start)!;
            try { return await ConnectAsync(browser); }
            catch
            {
                browser.Kill(entireProcessTree: true);
                browser.Dispose();
                throw;
            }
        }

        static async Task<DevToolsPage> ConnectAsync(Process browser)
        {
            browser.OutputDataReceived += (_, _) => { };
            browser.BeginOutputReadLine();
            // Chromium names its DevTools endpoint on stderr: "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID".
            using var cancel = new CancellationTokenSource(Timeout);
            string? line;
            while ((line = await browser.StandardError.ReadLineAsync(cancel.Token)) != null && !line.StartsWith("DevTools listening on ", StringComparison.Ordinal)) { }
            if (line == null) throw new InvalidOperationException($"chromium exited without a DevTools endpoint (exit code {(browser.HasExited ? browser.ExitCode : -1)})");
            _ = browser.StandardError.ReadToEndAsync(); // keep draining, so Chromium never blocks on a full pipe
            var endpoint = new Uri(line["DevTools listening on ".Length..].Trim());
            using var http = new HttpClient();
            var targets = JsonNode.Parse(await http.GetStringAsync($"http://{endpoint.Authority}/json/list"))!.AsArray();
            var tab = targets.First(t => (string?)t!["type"] == "page")!;
            var page = new DevToolsPage(browser);
            await page._socket.ConnectAsync(new Uri((string)tab["webSocketDebuggerUrl"]!), cancel.Token);
            page._reader = Task.Run(page.ReadAsync);
            return page;
        }

        public async Task NavigateAsync(string url)
        {
            await SendAsync("Runtime.enable");
            await SendAsync("Log.enable");
            await SendAsync("Page.enable");
            await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        }

        public async Task<T> EvaluateAsync<T>(string expression)
        {
            var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
            if (result["exceptionDetails"] is { } e) throw new InvalidOperationException($"{expression}: {e.ToJsonString()}");
            return result["result"]!["value"]!.GetValue<T>();
        }

        public async Task WaitForAsync(string condition)
        {
            var deadline = Stopwatch.StartNew();
            // Until the page has loaded, its elements are not there yet: that is "not yet", not an error.
            while (!await EvaluateAsync<bool>($"(() => {{ try {{ return !!({condition}); }} catch {{ return false; }} }})()"))
            {
                if (deadline.Elapsed > Timeout) throw new TimeoutException($"the page never reached: {condition}; errors: {string.Join(" | ", Errors)}");
                await Task.Delay(50);
            }
        }

        /// <summary>Picks <paramref name="path"/> in the file input <paramref name="selector"/>, as a user would (its change event fires).</summary>
        public async Task SetFileAsync(string selector, string path)
        {
            var document = await SendAsync("DOM.getDocument");
            var node = await SendAsync("DOM.querySelector", new JsonObject { ["nodeId"] = document["root"]!["nodeId"]!.GetValue<int>(), ["selector"] = selector });
            await SendAsync("DOM.setFileInputFiles", new JsonObject { ["files"] = new JsonArray(path), ["nodeId"] = node["nodeId"]!.GetValue<int>() });
        }

        async Task<JsonNode> SendAsync(string method, JsonObject? parameters = null)
        {
            var done = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
            int id;
            lock (_pending) _pending[id = ++_nextId] = done;
            var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
            await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
            return await done.Task.WaitAsync(Timeout);
        }

        async Task ReadAsync()
        {
            var buffer = new byte[1 << 16];
            var text = new MemoryStream();
            while (_socket.State == WebSocketState.Open)
            {
                WebSocketReceiveResult part;
                try { part = await _socket.ReceiveAsync(buffer, CancellationToken.None); }
                catch (WebSocketException) { return; }
                text.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage) continue;
                var message = JsonNode.Parse(text.ToArray())!;
                text.SetLength(0);
                if (message["id"] is { } id)
                {
                    TaskCompletionSource<JsonNode>? done;
                    lock (_pending) _pending.Remove(id.GetValue<int>(), out done);
                    if (message["error"] is { } error) done?.TrySetException(new InvalidOperationException(error.ToJsonString()));
                    else done?.TrySetResult(message["result"]!);
                    continue;
                }
                string? problem = (string?)message["method"] switch
                {
                    "Runtime.consoleAPICalled" when (string?)message["params"]!["type"] is "error" or "assert" => $"console: {message["params"]!["args"]!.ToJsonString()}",
                    "Runtime.exceptionThrown" => $"exception: {message["params"]!["exceptionDetails"]!.ToJsonString()}",
                    "Log.entryAdded" when (string?)message["params"]!["entry"]!["level"] == "error" => $"log: {message["params"]!["entry"]!["text"]} {message["params"]!["entry"]!["url"]}",
                    _ => null,
                };
                if (problem != null) lock (_errors) _errors.Add(problem);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_browser.HasExited) _browser.Kill(entireProcessTree: true);
            // Bounded: the wait also waits for the end of Chromium's stdout, which a helper process it detached from
            // its tree (the crash handler) could hold open after the kill.
            using var exited = new CancellationTokenSource(Timeout);
            try { await _browser.WaitForExitAsync(exited.Token); }
            catch (OperationCanceledException) { }
            _socket.Dispose();
            await _reader.ContinueWith(_ => { });
            _browser.Dispose();
        }
    }
}
