using System.Net.Http.Headers;

namespace Escalation.Access;

/// <summary>
/// Sends an API key as <c>Authorization: Bearer</c> on every request of an HTTP client or gRPC channel (gRPC over
/// plain HTTP/2 refuses call credentials, so clients of a cluster-internal endpoint add the key here). No key, no header.
/// </summary>
public sealed class BearerKeyHandler(string? apiKey, HttpMessageHandler? inner = null) : DelegatingHandler(inner ?? new SocketsHttpHandler())
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
