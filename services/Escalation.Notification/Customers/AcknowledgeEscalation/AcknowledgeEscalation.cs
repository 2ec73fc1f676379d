using System.Globalization;
using Escalation.Contracts;
using Escalation.Contracts.Escalations;
using Escalation.Contracts.Notifications;
using Escalation.Notification.Channels;
using Escalation.ServiceDefaults;

namespace Escalation.Notification.Customers.AcknowledgeEscalation;

/// <summary>
/// Tells the customer their request was escalated: the reference number and when to expect a response, in their
/// language (Japanese or English, English otherwise).
/// </summary>
public static class AcknowledgeEscalation
{
    public const string Template = "customer-escalation-acknowledged";
    private static readonly TimeZoneInfo Tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

    /// <returns>The email to send, or null when it was already sent or the customer has no address.</returns>
    public static Email? Plan(NotificationCase? state, EscalationRouted routed, Guid routedEventId)
    {
        var notificationId = NotificationId(routedEventId, Audience.Customer);
        if (state is null || state.Sent.Contains(notificationId) || string.IsNullOrWhiteSpace(state.Customer.Email))
        {
            return null;
        }

        var expected = state.FirstResponseDue is { } due && due < routed.AcknowledgeBy ? due : routed.AcknowledgeBy;
        var japanese = state.Customer.Language.StartsWith("ja", StringComparison.OrdinalIgnoreCase);
        return japanese
            ? new Email(notificationId, state.Customer.Email,
                $"[{state.Reference}] お問い合わせを担当チームにおつなぎしました",
                $"{state.Customer.Name ?? "お客"}様\n\nお問い合わせ「{state.Subject}」を専門の担当者に引き継ぎました。\n" +
                $"受付番号: {state.Reference}\n" +
                $"担当者からのご連絡予定: {TimeZoneInfo.ConvertTime(expected, Tokyo).ToString("yyyy年M月d日 HH:mm", CultureInfo.InvariantCulture)}（日本時間）まで\n\n" +
                "同じ内容を繰り返しご説明いただく必要はありません。これまでのやり取りはすべて担当者に共有されています。\n",
                "ja")
            : new Email(notificationId, state.Customer.Email,
                $"[{state.Reference}] Your request has been escalated",
                $"Dear {state.Customer.Name ?? "customer"},\n\nWe have passed your request \"{state.Subject}\" to a specialist team.\n" +
                $"Reference number: {state.Reference}\n" +
                $"You can expect a response by: {expected.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC\n\n" +
                "You will not need to repeat yourself: the team has the whole conversation.\n",
                "en");
    }

    /// <summary>The customer cannot be told (no address on the case): recorded once, not retried.</summary>
    public static IReadOnlyList<ICaseEvent> Unreachable(NotificationCase? state, EscalationRouted routed, Guid routedEventId, DateTimeOffset now)
    {
        var notificationId = NotificationId(routedEventId, Audience.Customer);
        return state is null || state.Sent.Contains(notificationId) || !string.IsNullOrWhiteSpace(state.Customer.Email)
            ? []
            : [new NotificationFailed(routed.CaseId, notificationId, Audience.Customer, NotificationChannel.Email, Recipient: "",
                Template, state.Customer.Language, Attempt: 1, "The customer has no email address.", WillRetry: false, now)];
    }

    public static NotificationSent Sent(EscalationRouted routed, Email email, int attempt, DateTimeOffset now) =>
        new(routed.CaseId, email.NotificationId, Audience.Customer, NotificationChannel.Email, email.To, Template, email.Language, attempt, now);

    /// <summary>A failed delivery attempt; the bus retries it, so the notification stays pending.</summary>
    public static NotificationFailed Failed(EscalationRouted routed, Email email, int attempt, string error, DateTimeOffset now) =>
        new(routed.CaseId, email.NotificationId, Audience.Customer, NotificationChannel.Email, email.To, Template, email.Language, attempt, error, WillRetry: true, now);

    /// <summary>Deterministic per (causing event, audience): the dedupe key across redeliveries.</summary>
    public static Guid NotificationId(Guid causingEventId, Audience audience) => DeterministicId.From($"{causingEventId:N}/{audience}");
}
