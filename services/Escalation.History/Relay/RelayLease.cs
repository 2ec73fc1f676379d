using Npgsql;

namespace Escalation.History.Relay;

/// <summary>
/// The relay's leadership: a Postgres advisory lock held on one dedicated connection. Postgres releases it when that
/// session ends or unlocks it, and a connection that answers is still the session holding it, so a successful ping
/// proves the lock is still ours. The relay checks before each page, so a deposed leader cannot publish past its next page.
/// </summary>
public sealed class RelayLease(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public const long LockKey = 0x5245_4c41_59; // "RELAY"

    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _connection;

    /// <returns>True when this instance now holds the lease.</returns>
    public async Task<bool> TryAcquireAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await ReleaseHeldAsync();
            var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            tryLock.Parameters.AddWithValue("key", LockKey);
            if ((bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
            {
                _connection = connection;
                return true;
            }

            await connection.DisposeAsync();
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <exception cref="RelayLeaseLostException">The lease is not (or no longer) held.</exception>
    public async Task EnsureHeldAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is null)
            {
                throw new RelayLeaseLostException("This instance does not hold the relay lease.");
            }

            await using var ping = new NpgsqlCommand("SELECT 1", _connection);
            await ping.ExecuteScalarAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            await ReleaseHeldAsync();
            throw new RelayLeaseLostException($"The relay lease connection failed: {exception.Message}");
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task ReleaseAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await ReleaseHeldAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync() => await ReleaseAsync();

    private async Task ReleaseHeldAsync()
    {
        if (_connection is null)
        {
            return;
        }

        try
        {
            // Disposing returns the connection to the pool with its session, and so the lock, still alive until the
            // pool resets or prunes it: another instance (or this one, on another pooled connection) could not take
            // the lease meanwhile. A broken connection is closed for good instead, which ends the session.
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", _connection);
            unlock.Parameters.AddWithValue("key", LockKey);
            await unlock.ExecuteScalarAsync();
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            // The session is gone, and the lock with it.
        }
        finally
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }
}

public sealed class RelayLeaseLostException(string message) : Exception(message);
