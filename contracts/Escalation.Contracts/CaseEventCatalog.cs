namespace Escalation.Contracts;

/// <summary>Every case event type, for event store registration and the relay.</summary>
public static class CaseEventCatalog
{
    public static IReadOnlyList<Type> All { get; } = typeof(ICaseEvent).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICaseEvent).IsAssignableFrom(t))
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .ToArray();
}
