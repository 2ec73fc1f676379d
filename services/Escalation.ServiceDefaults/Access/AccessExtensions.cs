using System.Security.Claims;
using Escalation.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Escalation.ServiceDefaults.Access;

public static class AccessExtensions
{
    /// <summary>
    /// API key authentication, and one authorization policy per scope (named as the scope). Every endpoint requires a
    /// valid key unless it opts out (health); an endpoint that needs a particular scope says so with
    /// <c>RequireAuthorization(Scopes.X)</c>.
    /// </summary>
    public static IHostApplicationBuilder AddApiKeyAccess(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(builder.Configuration.GetSection("Access").Get<AccessOptions>() ?? new AccessOptions());
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<ApiKeyLookup>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, _ => { });

        var authorization = builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build());
        foreach (var scope in Scopes.All)
        {
            authorization.AddPolicy(scope, policy => policy.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser().RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, scope));
        }

        return builder;
    }

    /// <summary>Documents the 401 (no valid key), 403 (key without the scope), 413 (body too large) and 429 answers.</summary>
    public static RouteHandlerBuilder ProducesAccessProblems(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status429TooManyRequests);

    public static string? KeyId(this ClaimsPrincipal user) => user.FindFirst(ApiKeyAuthenticationHandler.KeyIdClaim)?.Value;

    /// <summary>The channel a channel's key is bound to, or null for a key that may submit on any channel.</summary>
    public static string? BoundChannel(this ClaimsPrincipal user) => user.FindFirst(ApiKeyAuthenticationHandler.ChannelClaim)?.Value;

    public static int? ContactsPerSecond(this ClaimsPrincipal user) =>
        int.TryParse(user.FindFirst(ApiKeyAuthenticationHandler.ContactsPerSecondClaim)?.Value, out var rate) ? rate : null;
}
