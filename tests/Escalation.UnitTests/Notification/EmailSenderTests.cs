using Escalation.Contracts;
using Escalation.Notification.Delivering;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Escalation.UnitTests.CaseFixtures;
using static Escalation.UnitTests.Notification.NotificationFixtures;

namespace Escalation.UnitTests.Notification;

/// <summary>The email sender keeps SMTP sessions between sends, and a kept session the server dropped never fails a send.</summary>
public sealed class EmailSenderTests : IAsyncLifetime
{
    private readonly ScriptedSmtpServer _server = new();
    private readonly FakeTimeProvider _time = new(Now);

    private static Delivery CustomerEmail() => Escalation.Notification.Planning.PlanNotifications
        .Decide(Case().Apply(Routed()), new(Guid.NewGuid(), Routed()), Rules, Templates, Team(), Now)
        .First(d => d.Channel == NotificationChannel.Email);

    private (EmailSender Sender, SmtpConnections Connections) Sender(int pooled = 8, int perConnection = 100)
    {
        var options = new SmtpOptions
        {
            Host = "127.0.0.1", Port = _server.Port, PooledConnections = pooled, MessagesPerConnection = perConnection,
            ConnectionIdleTimeout = TimeSpan.FromSeconds(15), Timeout = TimeSpan.FromSeconds(10),
        };
        var connections = new SmtpConnections(options, _time, NullLogger<SmtpConnections>.Instance);
        return (new EmailSender(options, connections), connections);
    }

    private static async Task<IReadOnlyList<SendOutcome>> SendAsync(EmailSender sender, int emails)
    {
        var outcomes = new List<SendOutcome>();
        for (var i = 0; i < emails; i++)
        {
            outcomes.Add(await sender.SendAsync(CustomerEmail(), TestContext.Current.CancellationToken));
        }

        return outcomes;
    }

    [Fact]
    public async Task Emails_share_one_session_until_it_has_sent_its_share()
    {
        var (sender, connections) = Sender(perConnection: 2);

        var outcomes = await SendAsync(sender, 3);

        Assert.All(outcomes, o => Assert.True(o.Delivered, o.Error));
        Assert.Equal(["Q1", "Q2", "Q3"], outcomes.Select(o => o.ProviderMessageId));
        Assert.Equal(2, _server.Sessions);
        Assert.Equal(2, connections.Opened);
        await _server.WaitForQuitsAsync(1); // the first session closed politely after its second email
    }

    [Fact]
    public async Task A_kept_session_the_server_dropped_is_replaced_and_the_email_still_goes_out_once()
    {
        _server.DropAfterEachMessage = true;
        var (sender, _) = Sender();

        var outcomes = await SendAsync(sender, 3);

        Assert.All(outcomes, o => Assert.True(o.Delivered, o.Error));
        Assert.Equal(3, _server.Messages);
        Assert.Equal(3, _server.Sessions);
    }

    [Fact]
    public async Task A_session_idle_past_the_timeout_is_closed_and_a_new_one_opened()
    {
        var (sender, _) = Sender();
        await SendAsync(sender, 1);
        _time.Advance(TimeSpan.FromSeconds(14));
        await SendAsync(sender, 1);
        Assert.Equal(1, _server.Sessions);

        _time.Advance(TimeSpan.FromSeconds(15));
        var outcomes = await SendAsync(sender, 1);

        Assert.True(outcomes[0].Delivered, outcomes[0].Error);
        Assert.Equal(2, _server.Sessions);
        await _server.WaitForQuitsAsync(1);
    }

    [Fact]
    public async Task Without_a_pool_every_email_has_its_own_session_closed_with_quit()
    {
        var (sender, _) = Sender(pooled: 0);

        var outcomes = await SendAsync(sender, 2);

        Assert.All(outcomes, o => Assert.True(o.Delivered, o.Error));
        Assert.Equal(2, _server.Sessions);
        await _server.WaitForQuitsAsync(2);
    }

    [Fact]
    public async Task A_refused_recipient_is_a_permanent_failure_and_its_session_is_not_kept()
    {
        var (sender, _) = Sender();
        _server.RefusedRecipient = CustomerEmail().Recipients[0];

        var refused = await SendAsync(sender, 1);
        _server.RefusedRecipient = null;
        var accepted = await SendAsync(sender, 1);

        Assert.False(refused[0].Delivered);
        Assert.False(refused[0].Transient);
        Assert.StartsWith("SMTP 550", refused[0].Error);
        Assert.True(accepted[0].Delivered, accepted[0].Error);
        Assert.Equal(2, _server.Sessions);
    }

    [Fact]
    public async Task A_server_that_cannot_be_reached_is_a_transient_failure()
    {
        var (sender, _) = Sender();
        await _server.DisposeAsync(); // nothing listens on the port any more

        var outcomes = await SendAsync(sender, 1);

        Assert.False(outcomes[0].Delivered);
        Assert.True(outcomes[0].Transient);
        Assert.StartsWith("SMTP ", outcomes[0].Error);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
