using Escalation.Notification.Delivering;
using Escalation.Notification.Planning;
using Escalation.ServiceDefaults;

namespace Escalation.Notification;

public static class NotificationSetup
{
    public const string Schema = "notification";

    public static WebApplicationBuilder AddNotification(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Notification");
        var templates = TemplateSet.Load(Path.Combine(AppContext.BaseDirectory, section["TemplateDirectory"] ?? "Templates"));
        builder.Services.AddSingleton(templates);
        builder.Services.AddSingleton(NotificationRules.Load(Path.Combine(AppContext.BaseDirectory, section["RulesFile"] ?? "Rules/notification-rules.json"), templates));
        builder.Services.AddSingleton(section.GetSection("Smtp").Get<SmtpOptions>() ?? throw new InvalidOperationException("Notification:Smtp is not configured."));
        builder.Services.AddSingleton(section.GetSection("Retry").Get<RetryOptions>() ?? new RetryOptions());
        var webhooks = section.GetSection("Webhooks").Get<WebhookOptions>() ?? new WebhookOptions();
        if (webhooks.SigningSecrets.Count == 0 || webhooks.SigningSecrets.Any(s => s.Length < 32))
        {
            throw new InvalidOperationException("Notification:Webhooks:SigningSecrets needs at least one secret of 32 or more characters (set it from a secret store).");
        }

        builder.Services.AddSingleton(webhooks);
        builder.Services.AddSingleton<SmtpConnections>();
        builder.Services.AddSingleton<EmailSender>();
        builder.Services.AddHttpClient<WebhookSender>(http => http.Timeout = Timeout.InfiniteTimeSpan); // the sender applies its own timeout
        var directory = section["DirectoryAddress"] ?? throw new InvalidOperationException("Notification:DirectoryAddress (routing's base URL) is not configured.");
        var directoryKey = section["DirectoryApiKey"] is { Length: > 0 } key ? key : throw new InvalidOperationException(
            "Notification:DirectoryApiKey (a key with scope cases:read, for routing's directory) is not configured.");
        builder.Services.AddHttpClient<DirectoryClient>(http =>
        {
            http.BaseAddress = new Uri(directory);
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", directoryKey);
        });
        builder.Services.AddSingleton(services => new WakeSignal(services.GetRequiredService<TimeProvider>(), DeliveryDispatcher.LongestSleep));
        builder.AddEscalationMarten(Schema, options =>
            options.Schema.For<Delivery>().Duplicate(d => d.DueAt!).Index(d => d.TriggerEventId).Index(d => d.CaseId));
        builder.AddCaseViews<NotificationCase>();
        builder.AddEscalationBus("notification", bus => bus.AddConsumer<CaseEventConsumer>(), orderByCase: true);
        builder.Services.AddHostedService<DeliveryDispatcher>();
        return builder;
    }
}
