using Microsoft.Extensions.Logging;

namespace Escalation.ServiceDefaults;

/// <summary>
/// Why a group commit gave up and left each of its items to be committed alone, logged the same way by every group
/// commit: a racing writer (expected: debug), a case held elsewhere past the group's lock wait (information: something
/// held it for long), anything else (warning).
/// </summary>
public static partial class GroupCommitFallback
{
    /// <param name="items">What the group held, in the plural ("contacts", "case decisions", "escalations").</param>
    public static void Log(ILogger logger, Exception exception, int count, string items, TimeSpan lockWait)
    {
        if (WriteConflicts.IsWriteConflict(exception)) LogConflict(logger, count, items, exception.GetType().Name);
        else if (TransactionLocks.IsLockWaitTooLong(exception)) LogLockWait(logger, count, items, lockWait.TotalMilliseconds);
        else LogFailed(logger, exception, count, items);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} {Items} could not commit together ({Reason}); each commits alone")]
    private static partial void LogConflict(ILogger logger, int count, string items, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} {Items} waited over {WaitMs} ms for a case locked elsewhere; each commits alone")]
    private static partial void LogLockWait(ILogger logger, int count, string items, double waitMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} {Items} could not commit together; each commits alone")]
    private static partial void LogFailed(ILogger logger, Exception exception, int count, string items);
}
