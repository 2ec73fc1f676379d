using Escalation.History;
using Escalation.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddHistory();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapHistory();
return await app.RunServiceAsync(args);
