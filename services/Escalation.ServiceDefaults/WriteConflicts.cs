using JasperFx;

namespace Escalation.ServiceDefaults;

/// <summary>Marten's ways of saying "someone else wrote first": worth a retry on fresh state.</summary>
public static class WriteConflicts
{
    // Marten 9 and JasperFx.Events each define some of these types; which one is thrown depends on the code path.
    public static bool IsWriteConflict(Exception exception) => exception switch
    {
        ConcurrencyException => true,
        JasperFx.Events.StreamLockedException or Marten.Exceptions.StreamLockedException => true,
        JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException => true,
        DocumentAlreadyExistsException => true,
        _ => exception.InnerException is { } inner && IsWriteConflict(inner),
    };
}
