using System.Net.Http.Headers;
using Grpc.Net.Client;

namespace Escalation.Bench.Load;

/// <summary>HTTP and gRPC clients that send the bench's API key.</summary>
public static class PlatformClients
{
    public static HttpClient Http(Uri address, string apiKey, TimeSpan timeout, HttpMessageHandler? handler = null)
    {
        var http = new HttpClient(handler ?? new SocketsHttpHandler()) { BaseAddress = address, Timeout = timeout };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return http;
    }

    /// <summary>gRPC over plain HTTP/2 refuses call credentials, so the key goes in through a handler.</summary>
    public static GrpcChannel Grpc(Uri address, string apiKey) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new BearerHandler(apiKey) { InnerHandler = new SocketsHttpHandler() } });

    private sealed class BearerHandler(string apiKey) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
