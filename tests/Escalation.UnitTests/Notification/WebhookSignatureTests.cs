using Escalation.Notification.Delivering;
using static Escalation.UnitTests.CaseFixtures;

namespace Escalation.UnitTests.Notification;

public sealed class WebhookSignatureTests
{
    private const string Secret = "0123456789abcdef0123456789abcdef";
    private const string Body = """{"id":"x","reference":"ESC-1"}""";

    [Fact]
    public void The_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex()
    {
        // Computed independently: printf '1795000000.{"id":"x","reference":"ESC-1"}' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
        Assert.Equal("v1=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(Secret), System.Text.Encoding.UTF8.GetBytes("1795000000." + Body))), WebhookSender.Sign([Secret], 1795000000, Body));
    }

    [Fact]
    public void A_receiver_accepts_a_fresh_signature_by_any_active_secret_and_rejects_tampering_old_timestamps_and_other_secrets()
    {
        var timestamp = Now.ToUnixTimeSeconds();
        var header = WebhookSender.Sign(["new-secret-new-secret-new-secret-00", Secret], timestamp, Body);
        var tolerance = TimeSpan.FromMinutes(5);

        Assert.True(WebhookSender.Verify(Secret, header, timestamp.ToString(), Body, Now, tolerance));
        Assert.True(WebhookSender.Verify("new-secret-new-secret-new-secret-00", header, timestamp.ToString(), Body, Now, tolerance));
        Assert.False(WebhookSender.Verify(Secret, header, timestamp.ToString(), Body.Replace("ESC-1", "ESC-2"), Now, tolerance));
        Assert.False(WebhookSender.Verify(Secret, header, timestamp.ToString(), Body, Now.AddMinutes(6), tolerance));
        Assert.False(WebhookSender.Verify("another-secret-another-secret-000", header, timestamp.ToString(), Body, Now, tolerance));
    }
}
