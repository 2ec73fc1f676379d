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
        await using var command = dataSource.CreateCommand($"SELECT nextval('{SequenceName.QualifiedName}')");
        var number = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return $"ESC-{number}";
    }
}
