using Escalation.ServiceDefaults;
using Npgsql;

namespace Escalation.UnitTests;

public sealed class ConnectionStringTests
{
    [Fact]
    public void Statements_are_prepared_after_their_second_use_unless_the_connection_string_says_otherwise()
    {
        var prepared = new NpgsqlConnectionStringBuilder(EventStore.WithStatementPreparation("Host=db;Username=intake;Password=secret"));
        Assert.Equal(64, prepared.MaxAutoPrepare);
        Assert.Equal(2, prepared.AutoPrepareMinUsages);
        Assert.Equal(("db", "intake", "secret"), (prepared.Host, prepared.Username, prepared.Password));

        var off = "Host=db;Max Auto Prepare=0";
        Assert.Equal(off, EventStore.WithStatementPreparation(off));
        var tuned = new NpgsqlConnectionStringBuilder(EventStore.WithStatementPreparation("Host=db;Auto Prepare Min Usages=5"));
        Assert.Equal((64, 5), (tuned.MaxAutoPrepare, tuned.AutoPrepareMinUsages));
    }

    [Fact]
    public void Connections_carry_the_service_name_unless_the_connection_string_names_them()
    {
        var named = new NpgsqlConnectionStringBuilder(EventStore.WithApplicationName("Host=db;Username=intake", "Escalation.Intake"));
        Assert.Equal(("Escalation.Intake", "db", "intake"), (named.ApplicationName, named.Host, named.Username));

        var given = "Host=db;Application Name=intake-blue";
        Assert.Equal(given, EventStore.WithApplicationName(given, "Escalation.Intake"));
    }
}
