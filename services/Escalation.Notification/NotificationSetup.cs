using Escalation.Notification.Channels;
using Escalation.Notification.Customers.AcknowledgeEscalation;
using Escalation.ServiceDefaults;

namespace Escalation.Notification;

public static class NotificationSetup
{
    public static WebApplicationBuilder AddNotification(this WebApplicationBuilder builder)
    {
        var smtp = builder.Configuration.GetSection("Notification:Smtp").Get<SmtpOptions>()
            ?? throw new InvalidOperationException("Notification:Smtp is not configured.");
        builder.Services.AddSingleton(smtp);
        builder.Services.AddSingleton<EmailSender>();
        builder.AddEscalationMarten("notification");
        builder.AddEscalationBus("notification", bus => bus.AddConsumer<EscalationRoutedConsumer>(), orderByCase: true);
        return builder;
    }
}
