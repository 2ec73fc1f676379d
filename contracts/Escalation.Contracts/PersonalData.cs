using Escalation.Contracts.Escalations;

namespace Escalation.Contracts;

/// <summary>
/// Which parts of the contracts are a customer's personal data, and the same values without it: what erasure masks in
/// stored events and what services drop from their own copies. Times, tiers, priorities, categories and routing stay,
/// because KPIs and audits need them.
/// </summary>
public static class PersonalData
{
    /// <summary>What an erased text reads.</summary>
    public const string Erased = "[erased]";

    public static CustomerInfo Erase(this CustomerInfo customer) => customer with { Id = Erased, Name = null, Email = null };

    /// <summary>The handoff's free text quotes the customer; intents, entities and attempted steps do not name them.</summary>
    public static HandoffPacket Erase(this HandoffPacket handoff) => handoff with { Summary = Erased, TriggerReason = Erased, Transcript = [] };

    public static TriggerEvidence Erase(this TriggerEvidence trigger) => trigger with { Evidence = Erased };
}
