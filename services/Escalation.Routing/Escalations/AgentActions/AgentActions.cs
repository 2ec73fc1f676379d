using Escalation.Contracts;
using Escalation.Contracts.Cases;
using Escalation.Contracts.Escalations;
using Escalation.Routing.Escalations.Choosing;

namespace Escalation.Routing.Escalations.AgentActions;

/// <summary>Acknowledge the escalation offered to you (or claim it from a team queue).</summary>
public sealed record AcknowledgeRequest(string Agent);

/// <summary>Decline the escalation offered to you; it moves along the chain at once.</summary>
public sealed record DeclineRequest(string Agent, string Reason);

/// <summary>Answer the customer; the first response also acknowledges.</summary>
public sealed record RespondRequest(string Agent, string Text);

/// <summary>Hand the escalation to another team (functional); <paramref name="Capability"/>: the skill its agents need (none: any agent of the team).</summary>
public sealed record TransferRequest(string Agent, string Team, string? Capability, string Reason);

/// <summary>Ask for the next tier up (hierarchical): a new escalation, which supersedes yours once routed.</summary>
public sealed record EscalateRequest(string Agent, string Reason);

/// <summary>Resolve the case.</summary>
public sealed record ResolveRequest(string Agent, string Resolution);

/// <summary>Ask a peer for advice; you keep the escalation.</summary>
public sealed record PeerConsultRequest(string Agent, string Peer, string Question);

/// <summary>The peer's answer.</summary>
public sealed record PeerAnswerRequest(string Peer, string Answer);

/// <summary>What an action may read: the assignment, the case, the rosters of the teams involved (with loads).</summary>
public sealed record ActionContext(Assignment Assignment, RoutingCase Case, IReadOnlyDictionary<string, IReadOnlyList<Candidate>> Rosters,
    TimeSpan AcknowledgeWithin, int MaxChainLoops, DateTimeOffset Now);

/// <summary>An action's outcome: events and the assignment after them, or why it is refused (409) — then nothing changes.</summary>
public sealed record ActionDecision(IReadOnlyList<ICaseEvent> Events, Assignment Assignment, IReadOnlyList<string> FreedTeams, string? Refusal = null)
{
    public static ActionDecision Refuse(Assignment assignment, string reason) => new([], assignment, [], reason);
}

/// <summary>The agent actions as pure decisions over an assignment and its case.</summary>
public static class AgentActions
{
    public static ActionDecision Acknowledge(ActionContext context, AcknowledgeRequest request)
    {
        var a = context.Assignment;
        if (Closed(context) is { } closed) return closed;
        if (a.Status == AssignmentStatus.Queued) return ActionDecision.Refuse(a, "The escalation waits in the queue; it is not offered to anyone.");
        if (a.Agent is null)
        {
            // A team queue without a roster: whoever acknowledges it claims it.
            return new([new EscalationAcknowledged(a.CaseId, a.Id, request.Agent, context.Now)],
                a with { Agent = request.Agent, Status = AssignmentStatus.Acknowledged, AcknowledgeBy = null }, []);
        }

        if (a.Agent != request.Agent) return ActionDecision.Refuse(a, $"The escalation is offered to {a.Agent}, not to {request.Agent}.");
        return a.Status == AssignmentStatus.Acknowledged
            ? new([], a, []) // acknowledging twice changes nothing
            : new([new EscalationAcknowledged(a.CaseId, a.Id, request.Agent, context.Now)], a with { Status = AssignmentStatus.Acknowledged, AcknowledgeBy = null }, []);
    }

    public static ActionDecision Decline(ActionContext context, DeclineRequest request)
    {
        var a = context.Assignment;
        if (Owner(context, request.Agent) is { } refused) return refused;
        if (a.Status == AssignmentStatus.Acknowledged) return ActionDecision.Refuse(a, "Already acknowledged: transfer or escalate it instead.");

        var declined = new EscalationDeclined(a.CaseId, a.Id, request.Agent, request.Reason, context.Now);
        var next = AcknowledgementChain.Next(a, context.Rosters[a.Team], context.MaxChainLoops, context.AcknowledgeWithin,
            $"{request.Agent} declined: {request.Reason}", context.Now);
        return new([declined, .. next.Events], next.Assignment!, [a.Team]);
    }

    public static ActionDecision Respond(ActionContext context, RespondRequest request)
    {
        var a = context.Assignment;
        if (Owner(context, request.Agent) is { } refused) return refused;
        var responded = new AgentResponded(a.CaseId, a.Id, request.Agent, request.Text, context.Now);
        return a.Status == AssignmentStatus.Offered
            ? new([new EscalationAcknowledged(a.CaseId, a.Id, request.Agent, context.Now), responded], a with { Status = AssignmentStatus.Acknowledged, AcknowledgeBy = null }, [])
            : new([responded], a, []);
    }

    public static ActionDecision Transfer(ActionContext context, TransferRequest request)
    {
        var a = context.Assignment;
        if (Owner(context, request.Agent) is { } refused) return refused;
        if (string.Equals(request.Team, a.Team, StringComparison.Ordinal)) return ActionDecision.Refuse(a, $"The escalation is already with {a.Team}.");

        var roster = context.Rosters[request.Team];
        var reason = $"transferred by {request.Agent}: {request.Reason}";
        var deadline = context.Now + context.AcknowledgeWithin;
        var moved = a with
        {
            Team = request.Team, OverflowTeam = null, Capability = request.Capability ?? "", ChainLevel = 0, Loops = 0, Tried = [], Since = context.Now,
        };
        if (roster.Count == 0)
        {
            return new([new EscalationRerouted(a.CaseId, a.Id, request.Agent, request.Team, null, 0, reason, deadline, context.Now)],
                moved with { Agent = null, Status = AssignmentStatus.Offered, AcknowledgeBy = deadline }, [a.Team]);
        }

        var need = moved.Need with { Tier = Tier.L0 }; // the person chose the team: any tier in it
        if (ChooseOwner.Choose(need, roster, context.Now).Agent is { } agent)
        {
            return new([new EscalationRerouted(a.CaseId, a.Id, request.Agent, request.Team, agent.Id, 0, reason, deadline, context.Now)],
                moved with { Agent = agent.Id, Status = AssignmentStatus.Offered, AcknowledgeBy = deadline }, [a.Team]);
        }

        return new([new EscalationQueued(a.CaseId, a.Id, request.Team, $"{reason}; nobody in {request.Team} can take it now", context.Now)],
            moved with { Agent = null, Status = AssignmentStatus.Queued, AcknowledgeBy = null }, [a.Team]);
    }

    public static ActionDecision Escalate(ActionContext context, EscalateRequest request)
    {
        var a = context.Assignment;
        if (Owner(context, request.Agent) is { } refused) return refused;
        if (a.Tier == Tier.L3) return ActionDecision.Refuse(a, "The escalation is already at L3, the top tier.");
        if (!context.Case.Requested.TryGetValue(a.Id, out var original)) return ActionDecision.Refuse(a, "The original escalation is not in the case stream.");

        var evidence = new TriggerEvidence("agent-escalation", $"{request.Agent}: {request.Reason}", null, $"agent-escalation:{a.Id}");
        var upward = new EscalationRequested(a.CaseId, Guid.CreateVersion7(context.Now), EscalationType.Hierarchical, [evidence], a.Priority, a.Tier,
            a.Tier + 1, original.RequiredCapability, original.Handoff with { TriggerReason = $"{request.Agent} escalated: {request.Reason}" },
            "agent-request", context.Now);
        return new([upward], a, []); // routing the new escalation supersedes this one
    }

    public static ActionDecision Resolve(ActionContext context, ResolveRequest request)
    {
        var a = context.Assignment;
        if (Owner(context, request.Agent) is { } refused) return refused;
        return new([new CaseResolved(a.CaseId, request.Resolution, request.Agent, context.Now)],
            a with { Status = AssignmentStatus.Closed, AcknowledgeBy = null }, [a.Team]);
    }

    public static ActionDecision RequestPeerConsult(ActionContext context, PeerConsultRequest request)
    {
        var a = context.Assignment;
        if (Owner(context, request.Agent) is { } refused) return refused;
        if (request.Peer == request.Agent) return ActionDecision.Refuse(a, "A peer consult needs someone else.");
        return new([new PeerConsultRequested(a.CaseId, Guid.CreateVersion7(context.Now), request.Agent, request.Peer, request.Question, context.Now)], a, []);
    }

    public static ActionDecision AnswerPeerConsult(ActionContext context, Guid consultId, PeerAnswerRequest request)
    {
        var a = context.Assignment;
        if (!context.Case.Consults.TryGetValue(consultId, out var consult)) return ActionDecision.Refuse(a, $"No peer consult {consultId} on this escalation.");
        if (consult.Peer != request.Peer) return ActionDecision.Refuse(a, $"The consult was asked of {consult.Peer}, not {request.Peer}.");
        if (context.Case.Answered.Contains(consultId)) return ActionDecision.Refuse(a, "The consult is already answered.");
        return new([new PeerConsultAnswered(a.CaseId, consultId, request.Peer, request.Answer, context.Now)], a, []);
    }

    private static ActionDecision? Closed(ActionContext context) =>
        context.Assignment.Status == AssignmentStatus.Closed || context.Case.Resolved
            ? ActionDecision.Refuse(context.Assignment, context.Case.Resolved ? "The case is resolved." : "The escalation is closed (superseded or resolved).")
            : null;

    private static ActionDecision? Owner(ActionContext context, string agent)
    {
        var a = context.Assignment;
        return Closed(context)
            ?? (a.Status == AssignmentStatus.Queued ? ActionDecision.Refuse(a, "The escalation waits in the queue; nobody owns it.") : null)
            ?? (a.Agent != agent ? ActionDecision.Refuse(a, $"The escalation is with {a.Agent ?? $"the {a.Team} queue"}, not {agent}.") : null);
    }
}
