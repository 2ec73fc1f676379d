using Grpc.Core;

namespace Escalation.History;

/// <summary>gRPC errors that name the request field at fault (in the message and as the <c>field</c> trailer).</summary>
public static class GrpcErrors
{
    public const string FieldTrailer = "field";

    public static RpcException Invalid(string field, string message) =>
        new(new Status(StatusCode.InvalidArgument, message), new Metadata { { FieldTrailer, field } });

    public static RpcException NotFound(string message) => new(new Status(StatusCode.NotFound, message));
}
