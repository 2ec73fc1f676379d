using System.Security.Claims;
using System.Text.Encodings.Web;
using Escalation.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Escalation.ServiceDefaults.Access;

/// <summary>
/// Authenticates <c>Authorization: Bearer esc_…</c> (or <c>X-Api-Key: esc_…</c>) against the key table. The principal
/// carries the client name, the key id, one <see cref="ScopeClaim"/> per scope and the bound channel, if any.
/// </summary>
public sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggerFactory, UrlEncoder encoder,
    ApiKeyLookup keys, TimeProvider time, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "scope";
    public const string KeyIdClaim = "key_id";
    public const string ChannelClaim = "channel";
    public const string ContactsPerSecondClaim = "contacts_per_second";
    public const string ApiKeyHeader = "X-Api-Key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (!ApiKeyToken.TryParse(token, out var keyId, out var secret))
        {
            return AuthenticateResult.Fail("The API key is malformed; keys look like esc_<key id>.<secret>.");
        }

        var key = await keys.FindAsync(keyId, Context.RequestAborted);
        if (key is null || !ApiKeyToken.Matches(secret, key.SecretHash))
        {
            LogRejected(Logger, keyId, "unknown key or wrong secret");
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        if (!key.IsActiveAt(time.GetUtcNow()))
        {
            LogRejected(Logger, keyId, key.RevokedAt is null ? "expired" : "revoked");
            return AuthenticateResult.Fail(key.RevokedAt is null ? "The API key has expired." : "The API key was revoked.");
        }

        List<Claim> claims = [new(ClaimTypes.NameIdentifier, key.Client), new(ClaimTypes.Name, key.Client), new(KeyIdClaim, key.KeyId)];
        claims.AddRange(key.Scopes.Select(scope => new Claim(ScopeClaim, scope)));
        if (key.Channel is not null) claims.Add(new Claim(ChannelClaim, key.Channel));
        if (key.ContactsPerSecond is { } rate) claims.Add(new Claim(ContactsPerSecondClaim, rate.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"escalation\"";
        await WriteProblemAsync("Authentication required",
            failure ?? $"Send an API key as 'Authorization: Bearer <key>' or '{ApiKeyHeader}: <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteProblemAsync("Forbidden", "This API key's scopes do not allow this operation.");
    }

    /// <summary>gRPC callers read the status (401 → Unauthenticated, 403 → PermissionDenied); HTTP callers get problem+json.</summary>
    private Task WriteProblemAsync(string title, string detail) =>
        Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true
            ? Task.CompletedTask
            : problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = Context,
                ProblemDetails = { Status = Response.StatusCode, Title = title, Detail = detail },
            }).AsTask();

    private static string? ReadToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        var header = request.Headers[ApiKeyHeader].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "API key {KeyId} rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string keyId, string reason);
}
