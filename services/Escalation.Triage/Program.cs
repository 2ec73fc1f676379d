using Escalation.ServiceDefaults;
using Escalation.Triage;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddTriage();

var app = builder.Build();
app.MapDefaultEndpoints();
return await app.RunServiceAsync(args);
