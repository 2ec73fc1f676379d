using System.Security.Claims;
using Escalation.Access;
using Escalation.Contracts;
using Escalation.Contracts.Intake;
using Escalation.Intake.Contacts.ReceiveContact;
using Escalation.ServiceDefaults.Access;
using Npgsql;

namespace Escalation.UnitTests.Access;

public sealed class ApiKeyTests
{
    [Fact]
    public void A_generated_token_parses_back_to_its_key_id_and_a_secret_that_matches_only_its_own_hash()
    {
        var (keyId, token, hash) = ApiKeyToken.Generate();
        var (_, otherToken, otherHash) = ApiKeyToken.Generate();

        Assert.StartsWith($"esc_{keyId}.", token);
        Assert.True(ApiKeyToken.TryParse(token, out var parsedId, out var secret));
        Assert.Equal(keyId, parsedId);
        Assert.True(ApiKeyToken.Matches(secret, hash));
        Assert.False(ApiKeyToken.Matches(secret, otherHash));
        Assert.NotEqual(token, otherToken);
        Assert.DoesNotContain(secret, Convert.ToBase64String(hash));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer esc_0123456789abcdef.secret")]
    [InlineData("esc_0123456789abcdef")]
    [InlineData("esc_0123456789abcdef.")]
    [InlineData("esc_0123456789ABCDEF.secret")]
    [InlineData("esc_0123.secret")]
    [InlineData("xyz_0123456789abcdef.secret")]
    public void Malformed_tokens_do_not_parse(string? token) => Assert.False(ApiKeyToken.TryParse(token, out _, out _));

    [Fact]
    public void A_key_is_active_until_it_expires_or_is_revoked()
    {
        var now = new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
        var key = new ApiKey("0123456789abcdef", "crm", [Scopes.CasesRead], null, null, now.AddDays(-1), now.AddHours(1), null, []);

        Assert.True(key.IsActiveAt(now));
        Assert.False(key.IsActiveAt(now.AddHours(1)));
        Assert.False((key with { RevokedAt = now.AddMinutes(-1) }).IsActiveAt(now));
        Assert.True((key with { ExpiresAt = null }).IsActiveAt(now.AddYears(5)));
        Assert.True(key.Allows(Scopes.CasesRead));
        Assert.False(key.Allows(Scopes.ContactsSubmit));
    }

    [Theory]
    [InlineData("", new[] { Scopes.CasesRead }, null)]
    [InlineData("crm", new string[0], null)]
    [InlineData("crm", new[] { "cases:delete" }, null)]
    [InlineData("crm", new[] { Scopes.ContactsSubmit }, 0)]
    public async Task Issuing_a_key_without_a_client_with_no_or_unknown_scopes_or_a_non_positive_rate_is_refused_before_the_database(
        string client, string[] scopes, int? rate)
    {
        await using var unreachable = NpgsqlDataSource.Create("Host=203.0.113.1;Timeout=1");
        var store = new ApiKeyStore(unreachable);
        await Assert.ThrowsAsync<ArgumentException>(() =>
            store.IssueAsync(client, scopes, null, rate, null, DateTimeOffset.UtcNow, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void A_channel_bound_key_may_submit_only_its_channel_and_the_fields_at_fault_are_named()
    {
        var chatbot = Principal(channel: "Chatbot");
        var unbound = Principal(channel: null);
        IReadOnlyList<InboundContact> contacts = [Contact(Channel.Chatbot), Contact(Channel.Email), Contact(Channel.Chatbot)];

        Assert.Empty(ContactAdmission.ChannelViolations(chatbot, [Contact(Channel.Chatbot)], fieldPrefix: ""));
        Assert.Equal(["channel"], ContactAdmission.ChannelViolations(chatbot, [Contact(Channel.Phone)], fieldPrefix: "").Keys);
        Assert.Equal(["contacts[1].channel"], ContactAdmission.ChannelViolations(chatbot, contacts, fieldPrefix: "contacts").Keys);
        Assert.Empty(ContactAdmission.ChannelViolations(unbound, contacts, fieldPrefix: "contacts"));
    }

    [Fact]
    public void A_key_may_burst_one_batch_and_is_then_held_to_its_rate_while_other_keys_are_not()
    {
        using var admission = new ContactAdmission(new AccessOptions { DefaultContactsPerSecond = 1000 });
        var slow = Principal(channel: null, keyId: "aaaaaaaaaaaaaaaa", contactsPerSecond: 5);
        var other = Principal(channel: null, keyId: "bbbbbbbbbbbbbbbb");

        Assert.Null(admission.TryAdmit(slow, ContactLimits.MaxBatchSize, new Microsoft.AspNetCore.Http.DefaultHttpContext().Response));
        var response = new Microsoft.AspNetCore.Http.DefaultHttpContext().Response;
        Assert.NotNull(admission.TryAdmit(slow, 10, response));
        Assert.True(int.Parse(response.Headers.RetryAfter.ToString()) >= 1);
        Assert.Null(admission.TryAdmit(other, ContactLimits.MaxBatchSize, new Microsoft.AspNetCore.Http.DefaultHttpContext().Response));
    }

    private static ClaimsPrincipal Principal(string? channel, string keyId = "0123456789abcdef", int? contactsPerSecond = null)
    {
        List<Claim> claims = [new(ApiKeyAuthenticationHandler.KeyIdClaim, keyId), new(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.ContactsSubmit)];
        if (channel is not null) claims.Add(new Claim(ApiKeyAuthenticationHandler.ChannelClaim, channel));
        if (contactsPerSecond is { } rate) claims.Add(new Claim(ApiKeyAuthenticationHandler.ContactsPerSecondClaim, rate.ToString()));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyAuthenticationHandler.SchemeName));
    }

    private static InboundContact Contact(Channel channel) => CaseFixtures.Inbound() with { Channel = channel };
}
