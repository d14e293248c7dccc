using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Sieve.Cli;
using Sieve.Models;
using Sieve.Tests.Cli;

namespace Sieve.Tests.Serve;

/// <summary><c>sieve serve</c> as a process: SIGTERM with requests in flight answers them all and exits 0; bad start-up input exits 2.</summary>
public sealed class ServeProcessTests(ServeModels models) : IClassFixture<ServeModels>
{
    [Fact]
    public async Task SigtermAnswersEveryRequestInFlightAndExitsZero()
    {
        string cli = typeof(SieveCli).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { cli, "serve", "--model", models.Clip.Directory, "--port", "0", "--max-wait-ms", "10000", "--timeout-ms", "8000" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        try
        {
            string? line;
            var before = new List<string>();
            using var starting = new CancellationTokenSource(TimeSpan.FromSeconds(120)); // fail, never hang, if it does not start
            while ((line = await process.StandardError.ReadLineAsync(starting.Token)) != null && !line.Contains("listening on ")) before.Add(line);
            Assert.NotNull(line);
            Assert.Contains(before, l => l.StartsWith("sieve serve: warmed up on 16 example inputs per image tower")); // the default, before listening
            var address = new Uri(line.Split("listening on ")[1].Split(' ')[0]);
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
            var texts = Enumerable.Range(0, 6).Select(i => $"{i} dogs").ToArray();
            var pending = texts.Select(t => client.PostAsJsonAsync("/v1/embeddings", new { input = t })).ToArray();
            // Every request accepted (the batch would wait 10 s to fill, past the requests' 8 s timeout: only the
            // stop's drain answers them in time), then SIGTERM.
            var waited = Stopwatch.StartNew();
            while (!(await client.GetStringAsync("/metrics")).Contains($"sieve_requests_in_flight {texts.Length}"))
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "the requests were never all in flight");
                await Task.Delay(10);
            }
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
            var clip = ClipModel.Load(models.Clip.Directory);
            for (int i = 0; i < texts.Length; i++)
            {
                var response = await pending[i];
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal(clip.EncodeText(texts[i]), ServeHarness.Floats(body.GetProperty("data")[0].GetProperty("embedding")));
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("every accepted request was answered", await process.StandardError.ReadToEndAsync());
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    [Fact]
    public void BadStartUpInputIsOneLineAndExitCode2()
    {
        var (code, output) = CliRun.Of("serve", "--model", models.Clip.Directory, "--reducer", "tome:r=banana");
        Assert.Equal(SieveCli.InputError, code);
        Assert.StartsWith("error: ", output);
        Assert.Single(output.Trim().Split('\n'));

        (code, output) = CliRun.Of("serve", "--model", models.Clip.Directory, "--host", "localhost-ish");
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains("--host must be an IP address", output);

        (code, output) = CliRun.Of("serve", "--model", models.Clip.Directory, "--max-batch", "0");
        Assert.Equal(SieveCli.InputError, code);

        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        (code, output) = CliRun.Of("serve", "--model", models.Clip.Directory, "--port", port.ToString());
        Assert.Equal(SieveCli.InputError, code);
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", output);
    }
}
