using Escalation.ServiceDefaults;
using Escalation.SlaWatch;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSlaWatch();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);
