using System.Net.Http.Headers;
using System.Text;
using Npgsql;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Escalation.EndToEndTests;

/// <summary>
/// The real servers: from ESCALATION_POSTGRES / ESCALATION_RABBITMQ (and ESCALATION_RABBITMQ_MANAGEMENT) when set,
/// as CI does; otherwise Testcontainers. Each test run gets its own database and RabbitMQ virtual host.
/// </summary>
public sealed class Infrastructure : IAsyncDisposable
{
    private PostgreSqlContainer? _postgresContainer;
    private RabbitMqContainer? _rabbitContainer;
    private string _adminConnectionString = "";
    private Uri? _management;

    public string DatabaseName { get; } = $"e2e_{Guid.NewGuid():N}"[..20];
    public string VirtualHost { get; } = $"e2e-{Guid.NewGuid():N}"[..16];
    public string PostgresConnectionString { get; private set; } = "";
    public string RabbitMqUri { get; private set; } = "";

    public async Task StartAsync()
    {
        _adminConnectionString = Environment.GetEnvironmentVariable("ESCALATION_POSTGRES") ?? await StartPostgresContainerAsync();
        var rabbit = Environment.GetEnvironmentVariable("ESCALATION_RABBITMQ") ?? await StartRabbitContainerAsync();
        var management = Environment.GetEnvironmentVariable("ESCALATION_RABBITMQ_MANAGEMENT");
        _management = management is not null ? new Uri(management) : _management;

        await using (var admin = new NpgsqlConnection(_adminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", admin);
            await create.ExecuteNonQueryAsync();
        }

        PostgresConnectionString = new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = DatabaseName }.ConnectionString;
        await CreateServiceRolesAsync();

        var broker = new Uri(rabbit);
        var vhost = "/";
        if (_management is not null)
        {
            await ManagementAsync(HttpMethod.Put, $"api/vhosts/{VirtualHost}", "");
            await ManagementAsync(HttpMethod.Put, $"api/permissions/{VirtualHost}/{Credentials(broker).User}",
                """{"configure":".*","write":".*","read":".*"}""");
            await SetQueuePoliciesAsync();
            vhost = VirtualHost;
        }

        RabbitMqUri = new UriBuilder(broker) { Path = "/" + Uri.EscapeDataString(vhost) }.Uri.ToString();
        if (_management is not null)
        {
            await CreateServiceUsersAsync();
        }
    }

    /// <summary>What infra/rabbitmq/set-policies.sh sets for the demo and production: classic queues v2 on RabbitMQ 3.10 and 3.11.</summary>
    private async Task SetQueuePoliciesAsync()
    {
        using var overview = System.Text.Json.JsonDocument.Parse(await ManagementAsync(HttpMethod.Get, "api/overview", null));
        var version = overview.RootElement.GetProperty("rabbitmq_version").GetString() ?? "";
        if (version.StartsWith("3.10.", StringComparison.Ordinal) || version.StartsWith("3.11.", StringComparison.Ordinal))
        {
            await ManagementAsync(HttpMethod.Put, $"api/policies/{VirtualHost}/classic-queues-v2",
                """{"pattern":".*","apply-to":"queues","definition":{"queue-version":2}}""");
        }
    }

    private readonly Dictionary<string, string> _serviceUris = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The AMQP URI a service connects with: its own user, holding only the permissions infra/rabbitmq/service-permissions.json
    /// gives it on this run's virtual host (the broker's admin account without a management API).
    /// </summary>
    public string RabbitMqUriOf(string service) => _serviceUris.GetValueOrDefault(service) ?? RabbitMqUri;

    private async Task CreateServiceUsersAsync()
    {
        var path = Path.Combine(PlatformFixture.RepositoryRoot, "infra", "rabbitmq", "service-permissions.json");
        using var permissions = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(path));
        foreach (var service in permissions.RootElement.EnumerateObject().Where(p => !p.Name.StartsWith('_')))
        {
            var (user, password) = ($"escalation-e2e-{service.Name}", $"e2e-{service.Name}-password");
            await ManagementAsync(HttpMethod.Put, $"api/users/{user}", System.Text.Json.JsonSerializer.Serialize(new { password, tags = "" }));
            await ManagementAsync(HttpMethod.Put, $"api/permissions/{VirtualHost}/{user}", service.Value.GetRawText());
            _serviceUris[service.Name] = new UriBuilder(RabbitMqUri) { UserName = user, Password = password }.Uri.ToString();
        }
    }

    /// <summary>
    /// The Postgres connection a service runs with: its own role (infra/postgres/create-roles.sh), which may not change
    /// the schema and reaches only the shared event tables, the key table (read-only) and its own schema.
    /// </summary>
    public string PostgresConnectionStringOf(string service) =>
        new NpgsqlConnectionStringBuilder(PostgresConnectionString) { Username = ServiceRole(service), Password = ServiceRolePassword(service) }.ConnectionString;

    public static string ServiceRole(string service) => $"escalation_{service.ToLowerInvariant()}";

    private static string ServiceRolePassword(string service) => $"e2e-{service.ToLowerInvariant()}-password";

    /// <summary>Roles belong to the whole server, so runs share them (same passwords); the grants are per database.</summary>
    private async Task CreateServiceRolesAsync()
    {
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        foreach (var service in PlatformFixture.Services)
        {
            var (role, password) = (ServiceRole(service), ServiceRolePassword(service));
            await using var create = new NpgsqlCommand($"""
                DO $$ BEGIN
                    CREATE ROLE {role} LOGIN PASSWORD '{password}';
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    ALTER ROLE {role} LOGIN PASSWORD '{password}';
                END $$
                """, admin);
            await create.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Runs infra/postgres/grant-service-roles.sql on this run's database, as the owner, after the migrations.</summary>
    public async Task GrantServiceRolesAsync()
    {
        var script = await File.ReadAllTextAsync(Path.Combine(PlatformFixture.RepositoryRoot, "infra", "postgres", "grant-service-roles.sql"));
        await using var owner = new NpgsqlConnection(PostgresConnectionString);
        await owner.OpenAsync();
        await using var grant = new NpgsqlCommand(script, owner);
        await grant.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Messages ready or unacknowledged in the platform's queues of this run (not error queues, not the tests' own
    /// server-named queues); null when the management API is not available. The API samples queue statistics
    /// (start-dependencies.sh sets the interval to 500 ms), so callers must see zero for longer than that.
    /// </summary>
    public async Task<long?> MessagesInFlightAsync()
    {
        if (_management is null)
        {
            return null;
        }

        var json = await ManagementAsync(HttpMethod.Get, $"api/queues/{VirtualHost}", null);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Where(queue => queue.GetProperty("name").GetString() is { } name
                && !name.EndsWith("_error", StringComparison.Ordinal) && !name.StartsWith("amq.", StringComparison.Ordinal))
            .Sum(queue => (queue.TryGetProperty("messages", out var m) ? m.GetInt64() : 0));
    }

    /// <summary>Messages dead-lettered to <c>_error</c> queues, by queue.</summary>
    public async Task<IReadOnlyDictionary<string, long>> ErrorQueuesAsync()
    {
        if (_management is null)
        {
            return new Dictionary<string, long>();
        }

        var json = await ManagementAsync(HttpMethod.Get, $"api/queues/{VirtualHost}", null);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Where(queue => queue.GetProperty("name").GetString()!.EndsWith("_error", StringComparison.Ordinal))
            .ToDictionary(queue => queue.GetProperty("name").GetString()!, queue => queue.TryGetProperty("messages", out var m) ? m.GetInt64() : 0);
    }

    /// <summary>Reads up to <paramref name="count"/> messages of a queue of this run, with their headers, and puts them back.</summary>
    public async Task<IReadOnlyList<(string Payload, IReadOnlyDictionary<string, string> Headers)>> PeekMessagesAsync(string queue, int count)
    {
        if (!await QueueExistsAsync(queue))
        {
            return [];
        }

        var json = await ManagementAsync(HttpMethod.Post, $"api/queues/{VirtualHost}/{queue}/get",
            $$"""{"count":{{count}},"ackmode":"ack_requeue_true","encoding":"auto"}""");
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(message =>
        {
            var headers = message.GetProperty("properties").TryGetProperty("headers", out var h)
                ? h.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString())
                : new Dictionary<string, string>();
            return (message.GetProperty("payload").GetString() ?? "", (IReadOnlyDictionary<string, string>)headers);
        }).ToList();
    }

    private async Task<bool> QueueExistsAsync(string queue)
    {
        var json = await ManagementAsync(HttpMethod.Get, $"api/queues/{VirtualHost}", null);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Any(q => q.GetProperty("name").GetString() == queue);
    }

    public bool HasManagementApi => _management is not null;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_management is not null)
            {
                await ManagementAsync(HttpMethod.Delete, $"api/vhosts/{VirtualHost}", null);
            }

            if (_adminConnectionString.Length > 0)
            {
                await using var admin = new NpgsqlConnection(_adminConnectionString);
                await admin.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {DatabaseName} WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
            }
        }
        finally
        {
            if (_postgresContainer is not null) await _postgresContainer.DisposeAsync();
            if (_rabbitContainer is not null) await _rabbitContainer.DisposeAsync();
        }
    }

    private async Task<string> StartPostgresContainerAsync()
    {
        _postgresContainer = new PostgreSqlBuilder("postgres:15").WithCommand("-c", "max_connections=400").Build();
        await _postgresContainer.StartAsync();
        return new NpgsqlConnectionStringBuilder(_postgresContainer.GetConnectionString()) { Database = "postgres" }.ConnectionString;
    }

    private async Task<string> StartRabbitContainerAsync()
    {
        _rabbitContainer = new RabbitMqBuilder("rabbitmq:3.10-management").WithUsername("guest").WithPassword("guest").Build();
        await _rabbitContainer.StartAsync();
        _management = new Uri($"http://guest:guest@{_rabbitContainer.Hostname}:{_rabbitContainer.GetMappedPublicPort(15672)}/");
        return _rabbitContainer.GetConnectionString();
    }

    private async Task<string> ManagementAsync(HttpMethod method, string path, string? body)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_management!.GetLeftPart(UriPartial.Authority) + "/") };
        var (user, password) = Credentials(_management);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var request = new HttpRequestMessage(method, path.Replace("/", "/", StringComparison.Ordinal));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode || (method == HttpMethod.Delete && response.StatusCode == System.Net.HttpStatusCode.NotFound)
            ? text
            : throw new InvalidOperationException($"RabbitMQ management {method} {path}: {(int)response.StatusCode} {text}");
    }

    private static (string User, string Password) Credentials(Uri uri)
    {
        var parts = Uri.UnescapeDataString(uri.UserInfo).Split(':', 2);
        return (parts[0].Length > 0 ? parts[0] : "guest", parts.Length > 1 ? parts[1] : "guest");
    }
}
