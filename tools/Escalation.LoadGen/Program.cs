using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using RabbitMQ.Client;

// loadgen: a bounded intake load run against a platform on this machine (start it with infra/demo.sh).
//   loadgen http|amqp [count=2000] [concurrency=16]
// Sends `count` distinct contacts (each a new conversation: TicketOpened + ContactReceived) and reports the rate at
// which they were recorded in case streams: from the first send until the last ContactReceived is committed.
if (args.Length < 1 || args[0] is not ("http" or "amqp"))
{
    Console.Error.WriteLine("usage: loadgen http|amqp [count] [concurrency]");
    return 2;
}

var transport = args[0];
var count = args.Length > 1 ? int.Parse(args[1]) : 2000;
var concurrency = args.Length > 2 ? int.Parse(args[2]) : 16;
var intake = Environment.GetEnvironmentVariable("INTAKE_URL") ?? "http://localhost:5101";
var rabbit = Environment.GetEnvironmentVariable("RABBITMQ_URL") ?? "amqp://guest:guest@localhost:5672/";
var postgres = Environment.GetEnvironmentVariable("POSTGRES") ?? "Host=localhost;Database=escalation;Username=postgres;Password=postgres";
var run = $"load-{transport}-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid():N}"[..32];

object Contact(int i) => new
{
    contactId = $"{run}-{i}",
    conversationId = $"{run}-{i}",
    channel = "Chat",
    customer = new { id = $"c-{i}", tier = "Standard", language = "en" },
    author = "Customer",
    text = "Where is my parcel?",
    occurredAt = DateTimeOffset.UtcNow,
};

var watch = Stopwatch.StartNew();
if (transport == "http")
{
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(intake) };
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            using var response = await http.PostAsJsonAsync("api/contacts", Contact(i));
            response.EnsureSuccessStatusCode();
        }
    }));
}
else
{
    var factory = new ConnectionFactory { Uri = new Uri(rabbit) };
    await using var connection = await factory.CreateConnectionAsync();
    await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: new ThrottlingRateLimiter(concurrency * 64)));
    var properties = new BasicProperties { ContentType = "application/json", Persistent = true };
    var pending = new List<Task>();
    for (var i = 0; i < count; i++)
    {
        pending.Add(channel.BasicPublishAsync("escalation.inbound-contacts", "", false, properties, JsonSerializer.SerializeToUtf8Bytes(Contact(i), JsonSerializerOptions.Web)).AsTask());
    }

    await Task.WhenAll(pending);
}

var sent = watch.Elapsed;
await using var db = new NpgsqlConnection(postgres);
await db.OpenAsync();
long recorded = 0;
var deadline = DateTime.UtcNow.AddMinutes(5);
while (DateTime.UtcNow < deadline)
{
    await using var query = new NpgsqlCommand("SELECT count(*) FROM intake.mt_doc_receivedcontact WHERE id LIKE @pattern", db);
    query.Parameters.AddWithValue("pattern", $"Chat:{run}-%");
    recorded = (long)(await query.ExecuteScalarAsync())!;
    if (recorded >= count) break;
    await Task.Delay(50);
}

var elapsed = watch.Elapsed;
Console.WriteLine($"{transport}: {recorded}/{count} contacts recorded in {elapsed.TotalSeconds:0.00} s " +
    $"(sent in {sent.TotalSeconds:0.00} s, concurrency {concurrency}) = {recorded / elapsed.TotalSeconds:0} contacts/s into case streams");
return recorded >= count ? 0 : 1;
