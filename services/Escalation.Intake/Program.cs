using Escalation.Intake;
using Escalation.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddIntake();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapIntake();
return await app.RunServiceAsync(args);
