namespace Escalation.Bench.Limits;

/// <summary>One measured raw limit.</summary>
public sealed record LimitResult(string Name, double PerSecond, int Clients, TimeSpan Duration, long Operations, string Method);
