using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Escalation.Contracts.Intake;
using Escalation.ServiceDefaults.Access;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>
/// What an authenticated caller may submit over HTTP: a channel's key only contacts of its own channel, and every key
/// at most its contacts per second (its own rate, or <see cref="AccessOptions.DefaultContactsPerSecond"/>), counted
/// per contact so a batch costs as many as it carries. Contacts over AMQP are admitted by the broker's account instead.
/// </summary>
public sealed class ContactAdmission(AccessOptions options) : IDisposable
{
    private readonly PartitionedRateLimiter<(string KeyId, int Rate)> _limiter = PartitionedRateLimiter.Create<(string KeyId, int Rate), (string, int)>(
        partition => RateLimitPartition.GetTokenBucketLimiter(partition, key => new TokenBucketRateLimiterOptions
        {
            // A second's worth of burst, and at least one whole batch.
            TokenLimit = Math.Max(key.Rate, ContactLimits.MaxBatchSize),
            TokensPerPeriod = key.Rate,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <returns>
    /// The fields at fault (<c>channel</c>, or <c>{fieldPrefix}[i].channel</c> in a batch) when a channel's key submits
    /// a contact of another channel; empty when allowed.
    /// </returns>
    public static Dictionary<string, string[]> ChannelViolations(ClaimsPrincipal user, IReadOnlyList<InboundContact> contacts, string fieldPrefix)
    {
        var violations = new Dictionary<string, string[]>();
        if (user.BoundChannel() is not { } bound) return violations;

        for (var i = 0; i < contacts.Count; i++)
        {
            if (!string.Equals(contacts[i].Channel.ToString(), bound, StringComparison.OrdinalIgnoreCase))
            {
                var field = fieldPrefix.Length == 0 ? "channel" : $"{fieldPrefix}[{i}].channel";
                violations[field] = [$"This API key submits {bound} contacts only; got {contacts[i].Channel}."];
            }
        }

        return violations;
    }

    /// <returns>Null when admitted; otherwise a 429 problem saying when to retry.</returns>
    public IResult? TryAdmit(ClaimsPrincipal user, int contacts, HttpResponse response)
    {
        var partition = (user.KeyId() ?? "", user.ContactsPerSecond() ?? options.DefaultContactsPerSecond);
        using var lease = _limiter.AttemptAcquire(partition, contacts);
        if (lease.IsAcquired) return null;

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            $"This API key may submit {partition.Item2} contacts per second; retry after {retryAfter.TotalSeconds:0.#} s.",
            statusCode: StatusCodes.Status429TooManyRequests, title: "Too many contacts");
    }

    public void Dispose() => _limiter.Dispose();
}
