using System.Threading.Channels;

namespace Escalation.ServiceDefaults;

/// <summary>
/// The waiting line of a group commit: items that arrive while a commit is under way go together into the next one
/// (at most <paramref name="maxPerCommit"/>, with <paramref name="concurrentCommits"/> commits under way at once),
/// and a lone item on an idle service is committed at once, with no timer. With <paramref name="maxPerCommit"/> 1 the
/// line is closed from the start: <see cref="TryEnqueue"/> refuses everything and callers commit alone.
/// </summary>
/// <param name="commit">Commits one group; it must settle every item's outcome itself, and not throw.</param>
public sealed class GroupCommitQueue<T>(int maxPerCommit, int concurrentCommits, Func<List<T>, Task> commit)
{
    private readonly Channel<T> _waiting = Channel.CreateUnbounded<T>();
    private Task[] _committers = [];

    /// <summary>False once the line is closed (grouping off, or stopping): the caller then commits alone.</summary>
    public bool TryEnqueue(T item) => _waiting.Writer.TryWrite(item);

    public void Start()
    {
        if (maxPerCommit == 1)
        {
            _waiting.Writer.TryComplete();
        }
        else
        {
            _committers = Enumerable.Range(0, concurrentCommits).Select(_ => Task.Run(CommitWhileOpenAsync)).ToArray();
        }
    }

    /// <summary>Closes the line (later callers commit alone) and commits what is already waiting.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _waiting.Writer.TryComplete();
        await Task.WhenAll(_committers).WaitAsync(cancellationToken);
    }

    private async Task CommitWhileOpenAsync()
    {
        var group = new List<T>(maxPerCommit);
        while (await _waiting.Reader.WaitToReadAsync())
        {
            while (group.Count < maxPerCommit && _waiting.Reader.TryRead(out var item))
            {
                group.Add(item);
            }

            await commit(group);
            group.Clear();
        }
    }
}
