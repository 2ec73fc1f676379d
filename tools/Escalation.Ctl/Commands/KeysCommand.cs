using System.CommandLine;
using System.Text.Json;
using Escalation.Access;
using Npgsql;
using Google.Protobuf.WellKnownTypes;
using static Escalation.Ctl.Rendering;

namespace Escalation.Ctl.Commands;

/// <summary>
/// `keys issue|rotate|revoke|list`: the API keys in the key table. These talk to PostgreSQL directly (an operator's
/// database credentials are what bootstraps the first key); the services read the same table.
/// </summary>
internal static class KeysCommand
{
    // The services' own setting (infra/demo.sh exports it), not the test suite's ESCALATION_POSTGRES, which names a server.
    private const string PostgresVariable = "ConnectionStrings__postgres";
    private const string DefaultPostgres = "Host=localhost;Database=escalation;Username=postgres;Password=postgres";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create(GlobalOptions globals)
    {
        var postgres = new Option<string>("--postgres")
        {
            Description = $"The platform's database (or set ${PostgresVariable})",
            HelpName = "connection-string",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(PostgresVariable) ?? DefaultPostgres,
        };

        var command = new Command("keys", "Issue, rotate, revoke and list API keys (hashed at rest; a key is shown once, when issued)")
        {
            postgres, Issue(globals, postgres), Rotate(globals, postgres), Revoke(postgres), List(globals, postgres),
        };
        return command;
    }

    private static Command Issue(GlobalOptions globals, Option<string> postgres)
    {
        var client = new Option<string>("--client") { Description = "Who holds the key, e.g. chatbot or crm-reader", Required = true };
        var scopes = new Option<string[]>("--scope")
        {
            Description = $"What the key may do (repeat for several): {string.Join(", ", Scopes.All)}",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var channel = new Option<string?>("--channel") { Description = "Bind a contacts:submit key to one channel (Phone, Email, Chat, Chatbot, Social, …)" };
        var rate = new Option<int?>("--contacts-per-second") { Description = "This key's intake rate limit (default: the service's)" }
            .AtLeast(1, "must be at least 1");
        var expiresIn = new Option<TimeSpan?>("--expires-in") { Description = "Lifetime, e.g. 90.00:00:00 (default: no expiry)" };
        var command = new Command("issue", "Issue a new key and print it (once)") { client, scopes, channel, rate, expiresIn };
        command.SetAction((parse, cancellation) => RunAsync(parse, postgres, async store =>
        {
            var now = DateTimeOffset.UtcNow;
            var issued = await store.IssueAsync(parse.GetRequiredValue(client), parse.GetRequiredValue(scopes), parse.GetValue(channel),
                parse.GetValue(rate), parse.GetValue(expiresIn) is { } lifetime ? now + lifetime : null, now, cancellation);
            PrintIssued(parse.GetValue(globals.Json), issued);
        }));
        return command;
    }

    private static Command Rotate(GlobalOptions globals, Option<string> postgres)
    {
        var client = new Option<string>("--client") { Description = "The client whose key to rotate", Required = true };
        var grace = new Option<TimeSpan>("--grace")
        {
            Description = "How long the client's current keys keep working, to switch over without an outage",
            DefaultValueFactory = _ => TimeSpan.FromHours(24),
        };
        var command = new Command("rotate", "Issue a key like the client's newest and let its older keys expire after the grace period") { client, grace };
        command.SetAction((parse, cancellation) => RunAsync(parse, postgres, async store =>
            PrintIssued(parse.GetValue(globals.Json),
                await store.RotateAsync(parse.GetRequiredValue(client), parse.GetValue(grace), DateTimeOffset.UtcNow, cancellation))));
        return command;
    }

    private static Command Revoke(Option<string> postgres)
    {
        var keyId = new Argument<string>("key-id") { Description = "The key id (the part between esc_ and the dot)" };
        var command = new Command("revoke", "Revoke a key at once (services notice within their cache time, 30 s by default)") { keyId };
        command.SetAction((parse, cancellation) => RunAsync(parse, postgres, async store =>
        {
            var id = parse.GetRequiredValue(keyId);
            if (!await store.RevokeAsync(id, DateTimeOffset.UtcNow, cancellation))
            {
                throw new ArgumentException($"There is no key {id}.");
            }

            Console.Out.WriteLine($"revoked {id}");
        }));
        return command;
    }

    private static Command List(GlobalOptions globals, Option<string> postgres)
    {
        var command = new Command("list", "List the keys (never their secrets)");
        command.SetAction((parse, cancellation) => RunAsync(parse, postgres, async store =>
        {
            var keys = await store.ListAsync(cancellation);
            var now = DateTimeOffset.UtcNow;
            if (parse.GetValue(globals.Json))
            {
                foreach (var key in keys) Console.Out.WriteLine(JsonSerializer.Serialize(View(key, now), Json));
                return;
            }

            var table = CreateTable(Column("key id"), Column("client"), Column("scopes"), Column("channel"), NumberColumn("contacts/s"),
                Column("created"), Column("expires"), Column("state"));
            foreach (var key in keys)
            {
                var view = View(key, now);
                table.AddTextRow(view.KeyId, view.Client, string.Join(" ", view.Scopes), view.Channel ?? None,
                    view.ContactsPerSecond is { } rate ? Number(rate) : None, At(view.CreatedAt), view.ExpiresAt is { } expires ? At(expires) : None, view.State);
            }

            new Output(json: false).Write(table);
        }));
        return command;
    }

    private static string At(DateTimeOffset time) => Time(Timestamp.FromDateTimeOffset(time));

    private sealed record KeyView(string KeyId, string Client, IReadOnlyList<string> Scopes, string? Channel, int? ContactsPerSecond,
        DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string State);

    private static KeyView View(ApiKey key, DateTimeOffset now) => new(key.KeyId, key.Client, key.Scopes, key.Channel, key.ContactsPerSecond,
        key.CreatedAt, key.ExpiresAt, key.RevokedAt, key.RevokedAt is not null ? "revoked" : key.IsActiveAt(now) ? "active" : "expired");

    private static void PrintIssued(bool json, IssuedApiKey issued)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new { issued.Key.KeyId, issued.Key.Client, issued.Key.Scopes, issued.Key.Channel, issued.Token }, Json));
            return;
        }

        Console.Out.WriteLine(issued.Token);
        Console.Error.WriteLine($"key {issued.Key.KeyId} for {issued.Key.Client} ({string.Join(", ", issued.Key.Scopes)}); store it now, it is not shown again");
    }

    private static async Task<int> RunAsync(ParseResult parse, Option<string> postgres, Func<ApiKeyStore, Task> run)
    {
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(parse.GetRequiredValue(postgres));
            var store = new ApiKeyStore(dataSource);
            await store.EnsureSchemaAsync(CancellationToken.None);
            await run(store);
            return ExitCodes.Ok;
        }
        catch (ArgumentException invalid)
        {
            Console.Error.WriteLine($"escalationctl: {invalid.Message}");
            return ExitCodes.BadUsage;
        }
        catch (Exception failed) when (failed is InvalidOperationException or NpgsqlException)
        {
            Console.Error.WriteLine($"escalationctl: {failed.Message}");
            return ExitCodes.Failed;
        }
    }
}
