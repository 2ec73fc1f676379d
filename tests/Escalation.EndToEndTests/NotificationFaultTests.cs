using System.Net;

namespace Escalation.EndToEndTests;

/// <summary>Tests that stop or kill a service every other test relies on: they run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(ServiceFaults), DisableParallelization = true)]
public sealed class ServiceFaults;

[Collection(nameof(ServiceFaults))]
public sealed class NotificationFaultTests(PlatformFixture platform)
{
    private readonly NotificationDriver _notify = new(platform);
    private readonly PlatformDriver _driver = new(platform);

    [Fact]
    public async Task A_notification_killed_mid_send_is_sent_again_under_the_same_delivery_id_and_recorded_once_as_sent()
    {
        var team = await _notify.TeamAsync("restart");
        platform.Webhooks.Hold(team.Hook);
        var (caseId, _) = await _notify.EscalateAsync("restart", team, "en", "I want to talk to a human");
        await _driver.PollAsync(async () => { await Task.Yield(); return platform.Webhooks.To(team.Hook).Count == 1 ? "arrived" : null; },
            "the team webhook never received the first attempt");

        await platform.StopInstanceAsync("Notification"); // killed while the receiver still holds the request
        platform.Webhooks.Release(team.Hook);
        await platform.RestartInstanceAsync("Notification");

        var outcomes = await _notify.WebhookOutcomesAsync(caseId, until: o => o.Any(x => x.Type == "notification_sent"));
        Assert.Equal(["failed 1 retry", "sent 2"], outcomes.Select(o => o.Summary));
        Assert.Contains("outcome unknown", outcomes[0].Error);
        var posts = platform.Webhooks.To(team.Hook);
        Assert.Equal(2, posts.Count);
        Assert.Single(posts.Select(p => p.DeliveryId).Distinct()); // the receiver can tell the second is a repeat
        Assert.Equal(HttpStatusCode.OK, posts[1].Answered);

        await _driver.WaitUntilSettledAsync(TestContext.Current.CancellationToken);
        var sent = (await _driver.EventsAsync(caseId)).Where(e => e.Type == "notification_sent")
            .Select(e => e.Data.RootElement.GetProperty("notificationId").GetGuid()).ToList();
        Assert.Equal(sent.Count, sent.Distinct().Count()); // each notification sent once: customer, team email, team webhook
        Assert.Equal(3, sent.Count);
    }
}
