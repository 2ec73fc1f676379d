using Escalation.Routing;
using Escalation.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRouting();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapRouting();
return await app.RunServiceAsync(args);
