namespace Escalation.Contracts.Escalations;

/// <summary>One reason to escalate, with the evidence that fired it.</summary>
/// <param name="Rule">Rule id, e.g. <c>explicit-human-request</c> or <c>keyword</c>.</param>
/// <param name="Evidence">What matched, in words (the phrase, the score, the count).</param>
/// <param name="SourceEventId">The stored event the evidence came from.</param>
/// <param name="Key">
/// Identity of the trigger on this case, e.g. <c>keyword:fraud</c> or <c>authority-limit:L2</c>: a key escalates a
/// case at most once. Null on events recorded before keys existed; read it as <paramref name="Rule"/>.
/// </param>
/// <param name="Measures">The numbers behind the evidence (scores, counts, thresholds, amounts).</param>
public sealed record TriggerEvidence(
    string Rule,
    string Evidence,
    Guid? SourceEventId,
    string? Key = null,
    IReadOnlyDictionary<string, double>? Measures = null);

/// <summary>A troubleshooting step already tried, so nobody tries it again.</summary>
public sealed record AttemptedSolution(string Step, AttemptOutcome Outcome);

/// <summary>Everything the receiving agent needs so that nobody asks the customer again.</summary>
/// <param name="Summary">Short summary of the conversation.</param>
/// <param name="Intents">Intents seen, in order.</param>
/// <param name="Entities">Entities collected over the conversation.</param>
/// <param name="SentimentAssessment">Latest sentiment, e.g. <c>negative (-0.6)</c>, or <c>unknown</c>.</param>
/// <param name="SentimentTrajectory">Sentiment per customer turn, oldest first.</param>
/// <param name="AttemptedSolutions">Steps already tried.</param>
/// <param name="TriggerReason">Why the case is escalated, in words.</param>
/// <param name="Transcript">Customer and bot turns, oldest first.</param>
public sealed record HandoffPacket(
    string Summary,
    IReadOnlyList<string> Intents,
    ContactEntities Entities,
    string SentimentAssessment,
    IReadOnlyList<double> SentimentTrajectory,
    IReadOnlyList<AttemptedSolution> AttemptedSolutions,
    string TriggerReason,
    IReadOnlyList<string> Transcript);

/// <summary>Triage decided the case must leave its current level.</summary>
public sealed record EscalationRequested(
    Guid CaseId,
    Guid EscalationId,
    EscalationType Type,
    IReadOnlyList<TriggerEvidence> Triggers,
    Priority Priority,
    Tier FromTier,
    Tier ToTier,
    string RequiredCapability,
    HandoffPacket Handoff,
    string RulesVersion,
    DateTimeOffset RequestedAt) : ICaseEvent;

/// <summary>
/// A later trigger made the case more urgent without calling for another owner: the current escalation's priority
/// rises from <paramref name="From"/> to <paramref name="To"/> (a trigger that calls for another tier or capability
/// requests a new escalation instead).
/// </summary>
public sealed record EscalationPriorityRaised(
    Guid CaseId,
    Guid EscalationId,
    Priority From,
    Priority To,
    IReadOnlyList<TriggerEvidence> Triggers,
    string RulesVersion,
    DateTimeOffset RaisedAt) : ICaseEvent;

/// <summary>
/// The case is one of at least <paramref name="OpenCases"/> open cases of the same category and product opened
/// within <paramref name="Window"/>: a wide-impact incident, shared by every linked case.
/// </summary>
/// <param name="IncidentKey">The incident all linked cases share, e.g. <c>INC-integration-crm-sync-202611231405</c>.</param>
public sealed record CaseLinkedToIncident(
    Guid CaseId,
    string IncidentKey,
    string Category,
    string? Product,
    int OpenCases,
    TimeSpan Window,
    DateTimeOffset LinkedAt) : ICaseEvent;

/// <summary>How a candidate scored, or why it was not eligible.</summary>
/// <param name="Candidate">Agent id (or team, when routed to a team queue).</param>
/// <param name="Score">Total score in [0, 1]; 0 when excluded.</param>
/// <param name="Breakdown">The weighted parts of the score (skill, load, performance).</param>
/// <param name="Excluded">Why the candidate could not take it (wrong language, off shift, at capacity…); null when eligible.</param>
public sealed record CandidateScore(string Candidate, double Score, IReadOnlyDictionary<string, double> Breakdown, string? Excluded = null);

/// <summary>Routing chose an owner for an escalation.</summary>
/// <param name="Team">Team that owns it.</param>
/// <param name="Agent">Agent, when one was chosen (null: the team queue).</param>
/// <param name="MatchedSkills">Skills that matched the requirement.</param>
/// <param name="Candidates">Candidates considered with their scores.</param>
/// <param name="AcknowledgeBy">Acknowledgement deadline.</param>
/// <param name="ChainLevel">Level in the acknowledgement chain, 0 for the first owner.</param>
public sealed record EscalationRouted(
    Guid CaseId,
    Guid EscalationId,
    string Team,
    string? Agent,
    IReadOnlyList<string> MatchedSkills,
    IReadOnlyList<CandidateScore> Candidates,
    DateTimeOffset AcknowledgeBy,
    int ChainLevel,
    string MatrixVersion,
    DateTimeOffset RoutedAt) : ICaseEvent;

/// <summary>The owner acknowledged the escalation.</summary>
public sealed record EscalationAcknowledged(Guid CaseId, Guid EscalationId, string By, DateTimeOffset AcknowledgedAt) : ICaseEvent;

/// <summary>The owner declined the escalation; routing re-routes at once.</summary>
public sealed record EscalationDeclined(Guid CaseId, Guid EscalationId, string By, string Reason, DateTimeOffset DeclinedAt) : ICaseEvent;

/// <summary>Nobody acknowledged before the deadline.</summary>
public sealed record AcknowledgementTimedOut(Guid CaseId, Guid EscalationId, string? Owner, int ChainLevel, DateTimeOffset DeadlineAt, DateTimeOffset DetectedAt) : ICaseEvent;

/// <summary>The escalation moved to the next level of the chain.</summary>
public sealed record EscalationRerouted(Guid CaseId, Guid EscalationId, string? FromOwner, string Team, string? Agent, int ChainLevel, string Reason, DateTimeOffset AcknowledgeBy, DateTimeOffset ReroutedAt) : ICaseEvent;

/// <summary>Nobody had capacity; the escalation waits in a queue.</summary>
public sealed record EscalationQueued(Guid CaseId, Guid EscalationId, string Queue, string Reason, DateTimeOffset QueuedAt) : ICaseEvent;

/// <summary>The owner answered the customer (their first response stops the first-response clock).</summary>
public sealed record AgentResponded(Guid CaseId, Guid EscalationId, string Agent, string Text, DateTimeOffset RespondedAt) : ICaseEvent;

/// <summary>The owner asked a peer for advice and keeps the case.</summary>
public sealed record PeerConsultRequested(Guid CaseId, Guid ConsultId, string Owner, string Peer, string Question, DateTimeOffset RequestedAt) : ICaseEvent;

/// <summary>The peer answered.</summary>
public sealed record PeerConsultAnswered(Guid CaseId, Guid ConsultId, string Peer, string Answer, DateTimeOffset AnsweredAt) : ICaseEvent;
