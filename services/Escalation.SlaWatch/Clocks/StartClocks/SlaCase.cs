using System.Collections.Immutable;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Sla;

namespace Escalation.SlaWatch.Clocks.StartClocks;

/// <summary>What SLA-watch knows of a case: its clocks, built from the case stream.</summary>
public sealed partial record SlaCase(Guid Id, ImmutableList<SlaClockStarted> Clocks)
{
    public static SlaCase Create(TicketOpened opened) => new(opened.CaseId, []);

    public SlaCase Apply(SlaClockStarted started) => this with { Clocks = Clocks.Add(started) };
}
