var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => "Unicron Portal");
app.Run();

/// <summary>Entry point, public so tests can host the portal with WebApplicationFactory.</summary>
public partial class Program;
