using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Escalation.EndToEndTests;

/// <summary>A request the receiver got, with whether its signature checked out against the shared secret.</summary>
public sealed record ReceivedWebhook(string Hook, string DeliveryId, string Body, bool SignatureValid, HttpStatusCode Answered, DateTimeOffset At);

/// <summary>
/// A local webhook endpoint (Kestrel on a free port): <c>POST /hooks/{name}</c>. Each hook answers from a script the
/// test sets (e.g. 503, 503, then 200) and can hold requests open until released; every request is recorded with a
/// check of its signature, done the way the Notification README tells receivers to.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Secret = "e2e-webhook-signing-secret-0123456789";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<HttpStatusCode>> _scripts = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _holds = new();
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();

    private WebhookReceiver(WebApplication app, Uri address) => (_app, Address) = (app, address);

    public Uri Address { get; }

    public IReadOnlyList<ReceivedWebhook> Received => _received.ToList();

    public static async Task<WebhookReceiver> StartAsync()
    {
        // Not the test folder as content root: it holds a service's appsettings.json (copied by the build), whose
        // Kestrel endpoints would win over UseUrls.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Directory.CreateTempSubdirectory("webhook-receiver-").FullName });
        builder.Logging.ClearProviders();
        var port = PlatformFixture.FreePort();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, new Uri($"http://127.0.0.1:{port}/"));
        app.MapPost("/hooks/{hook}", receiver.ReceiveAsync);
        await app.StartAsync();
        return receiver;
    }

    public string UrlOf(string hook) => new Uri(Address, $"hooks/{hook}").ToString();

    /// <summary>The statuses <paramref name="hook"/> answers with, in order; 200 once they are used up.</summary>
    public void Script(string hook, params HttpStatusCode[] answers) => _scripts[hook] = new ConcurrentQueue<HttpStatusCode>(answers);

    /// <summary>Requests to <paramref name="hook"/> hang (the sender sees no answer) until <see cref="Release"/>.</summary>
    public void Hold(string hook) => _holds[hook] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release(string hook)
    {
        if (_holds.TryRemove(hook, out var hold))
        {
            hold.TrySetResult();
        }
    }

    public IReadOnlyList<ReceivedWebhook> To(string hook) => Received.Where(r => r.Hook == hook).ToList();

    private async Task ReceiveAsync(string hook, HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
        var valid = Verify(context.Request.Headers["Escalation-Signature"].ToString(), context.Request.Headers["Escalation-Timestamp"].ToString(), body);
        var status = _scripts.TryGetValue(hook, out var script) && script.TryDequeue(out var next) ? next : HttpStatusCode.OK;
        var holding = _holds.TryGetValue(hook, out var hold);
        _received.Enqueue(new ReceivedWebhook(hook, context.Request.Headers["Escalation-Delivery-Id"].ToString(), body, valid, holding ? 0 : status, DateTimeOffset.UtcNow));
        if (holding)
        {
            await hold!.Task.WaitAsync(context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return;
        }

        context.Response.StatusCode = (int)status;
        context.Response.Headers["X-Request-Id"] = $"rcv-{Guid.NewGuid():N}";
    }

    /// <summary>The receiver's side of the README: HMAC-SHA256 over "{timestamp}.{body}", constant-time compare, five minutes' tolerance.</summary>
    private static bool Verify(string signatures, string timestamp, string body)
    {
        if (!long.TryParse(timestamp, out var seconds) || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes("v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}"))));
        return signatures.Split(',').Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s.Trim()), expected));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hook in _holds.Keys)
        {
            Release(hook);
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
