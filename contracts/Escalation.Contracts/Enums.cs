namespace Escalation.Contracts;

// Enums that arrive from outside start with Unspecified = 0, so that a missing field is not silently read as the
// first real value; intake rejects Unspecified.

/// <summary>Where a contact came from (the seeds' channels).</summary>
public enum Channel { Unspecified, Phone, Email, Chat, Chatbot, Social, InPerson, HelpDesk, WebForm }

/// <summary>Who wrote a contact.</summary>
public enum AuthorKind { Unspecified, Customer, Bot, Agent, System }

/// <summary>Support tier: L0 self-service/bot, L1 front line, L2 specialists, L3 experts/engineering.</summary>
public enum Tier { L0, L1, L2, L3 }

/// <summary>The customer's commercial tier.</summary>
public enum CustomerTier { Unspecified, Standard, Vip, Strategic }

/// <summary>Kinds of escalation named in the seeds.</summary>
public enum EscalationType { Functional, Hierarchical, Automatic, Priority, Peer }

/// <summary>Priority from the urgency × impact matrix; P1 is the most urgent.</summary>
public enum Priority { P1, P2, P3, P4 }

/// <summary>Who a notification is for.</summary>
public enum Audience { Customer, Team, Stakeholder, OnCall }

/// <summary>How a notification is delivered.</summary>
public enum NotificationChannel { Email, Webhook }

/// <summary>What an SLA clock measures.</summary>
public enum SlaMetric { FirstResponse, NextResponse, Resolution, EscalationAcknowledgement }

/// <summary>Outcome of a troubleshooting step.</summary>
public enum AttemptOutcome { Unspecified, Succeeded, Failed, Partial }
