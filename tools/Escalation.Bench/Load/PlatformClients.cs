using Escalation.Access;
using Grpc.Net.Client;

namespace Escalation.Bench.Load;

/// <summary>HTTP and gRPC clients that send the bench's API key.</summary>
public static class PlatformClients
{
    public static HttpClient Http(Uri address, string apiKey, TimeSpan timeout, HttpMessageHandler? handler = null) =>
        new(new BearerKeyHandler(apiKey, handler)) { BaseAddress = address, Timeout = timeout };

    public static GrpcChannel Grpc(Uri address, string apiKey) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = new BearerKeyHandler(apiKey) });
}
