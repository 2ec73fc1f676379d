using System.Diagnostics;

namespace Escalation.Bench.Load;

/// <summary>One contact as sent: what it was and when the send started (UTC, this machine's clock).</summary>
public sealed record SentContact(string ContactId, ContactKind Kind, DateTimeOffset SentAt);

/// <summary>What a load run sent, and how long sending took.</summary>
public sealed record LoadResult(IReadOnlyList<SentContact> Sent, DateTimeOffset StartedAt, TimeSpan SendingTook, int Failed)
{
    public int Escalating => Sent.Count(contact => contact.Kind.Escalates());
}

/// <summary>
/// Drives contacts into intake, either flat out (as many in flight as allowed) or at a fixed rate (open loop: contact
/// i is due at start + i / rate whatever happened to the ones before, so a slow platform shows as latency rather than
/// as a lower offered rate). At most <c>inFlight</c> sends are outstanding; when that bound holds a due contact back,
/// the run reports the lower rate it actually achieved.
/// </summary>
public sealed class LoadDriver(IContactSender sender, ContactMix mix, int inFlight, TimeProvider time)
{
    public async Task<LoadResult> RunAsync(int count, double? ratePerSecond, CancellationToken cancellationToken)
    {
        var sent = new SentContact[count];
        var failed = 0;
        using var slots = new SemaphoreSlim(inFlight);
        var pending = new List<Task>(count);
        var startedAt = time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            if (ratePerSecond is { } rate && TimeSpan.FromSeconds(i / rate) - clock.Elapsed is { } wait && wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }

            await slots.WaitAsync(cancellationToken);
            var contact = mix.Next(i, time.GetUtcNow());
            sent[i] = new SentContact(contact.Contact.ContactId, contact.Kind, time.GetUtcNow());
            pending.Add(SendOneAsync(contact));
        }

        await Task.WhenAll(pending);
        return new LoadResult(sent, startedAt, clock.Elapsed, failed);

        async Task SendOneAsync(GeneratedContact contact)
        {
            try
            {
                await sender.SendAsync(contact, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                if (Interlocked.Increment(ref failed) <= 3) Console.Error.WriteLine($"  send failed: {exception.Message}");
            }
            finally
            {
                slots.Release();
            }
        }
    }
}
