using Npgsql;
using Weasel.Core;
using Weasel.Postgresql;

namespace Escalation.Intake.Contacts.ReceiveContact;

/// <summary>Hands out <c>ESC-</c> reference numbers from a Postgres sequence: monotonic across restarts and instances.</summary>
public sealed class CaseReferences(NpgsqlDataSource dataSource)
{
    public const long FirstNumber = 1000;
    public static readonly DbObjectName SequenceName = PostgresqlProvider.Instance.Parse($"{IntakeSetup.Schema}.case_reference");

    public async Task<string> NextAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await NextAsync(connection, 1, cancellationToken))[0];
    }

    /// <summary>
    /// <paramref name="count"/> new references in one round trip, in ascending order, on a connection already open
    /// (e.g. the one a session's transaction holds).
    /// </summary>
    public async Task<IReadOnlyList<string>> NextAsync(NpgsqlConnection connection, int count, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return [];
        }

        await using var command = new NpgsqlCommand($"SELECT nextval('{SequenceName.QualifiedName}') FROM generate_series(1, $1)", connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        var references = new List<string>(count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            references.Add($"ESC-{reader.GetInt64(0)}");
        }

        return references;
    }
}
