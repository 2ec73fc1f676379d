using Escalation.Notification;
using Escalation.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddNotification();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);
