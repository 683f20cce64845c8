using Portal.Web.Startup;

// Operator commands (`tokens create ...`) run against the configured database and exit without serving.
if (await PortalCommands.TryRunAsync(args)) return;

var builder = WebApplication.CreateBuilder(args);
builder.AddPortalDatabase();
builder.AddPortalCloud();
builder.AddPortalAuthentication();
builder.AddPortalApi();
builder.AddPortalUi();
builder.AddPortalOperations();
builder.AddPortalSecurityHeaders();
builder.AddPortalRateLimits();
builder.AddPortalJobs();

var app = builder.Build();
app.UsePortalSecurityHeaders();
app.UsePortalOperations();
app.UsePortalAuthentication();
app.UsePortalRateLimits();
app.MapPortalApi();
app.MapPortalUi();
app.MapPortalJobs();
app.Run();

/// <summary>Public so tests can host the portal with WebApplicationFactory.</summary>
public partial class Program;
