using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Access;
using Portal.Core.Audit;
using Portal.Core.Environments;
using Portal.Core.Persistence;
using Portal.Core.Teams;
using Portal.Core.Tokens;
using Portal.Core.Users;
using Portal.Testing;

namespace Portal.Core.Tests.Infrastructure;

/// <summary>
/// Base of every service test: the real Core services on the fixture's database (one per test class and provider),
/// a hand-moved clock, and helpers to sign people in. Each test names its own teams and people, so tests sharing
/// the class's database never see each other's rows.
/// </summary>
public abstract class ServiceTests : IDisposable
{
    public const string AdminGroup = "platform-admins";

    private readonly ServiceProvider _services;

    protected ServiceTests(PortalDatabaseFixture database)
    {
        Database = database;
        _services = PortalServices.Create(database.Options, services =>
        {
            services.Configure<IdentityOptions>(o => o.AdminGroups = [AdminGroup]);
            Configure(services);
        });
        Clock = _services.GetRequiredService<TestClock>();
    }

    protected PortalDatabaseFixture Database { get; }
    protected TestClock Clock { get; }
    protected DatabaseProvider Provider => Database.Provider;

    protected TeamService Teams => Get<TeamService>();
    protected MemberService Members => Get<MemberService>();
    protected UserService Users => Get<UserService>();
    protected GroupMappingService GroupMappings => Get<GroupMappingService>();
    protected EnvironmentService Environments => Get<EnvironmentService>();
    protected TokenService Tokens => Get<TokenService>();
    protected AuditService Audit => Get<AuditService>();

    protected static CancellationToken Ct => CancellationToken.None;

    protected T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    /// <summary>Extra registrations for one test class (options, interceptors).</summary>
    protected virtual void Configure(IServiceCollection services) { }

    /// <summary>A name no other test uses: "prefix-" + 8 hex digits, a valid team slug for prefixes up to 21 characters.</summary>
    protected static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    protected static string UniqueEmail(string name) => $"{Unique(name)}@example.com";

    /// <summary>Signs a new person in (as the OIDC callback would) and returns them with their actor.</summary>
    protected async Task<(User User, PortalActor Actor)> SignInAsync(string name, params string[] groups)
    {
        var email = UniqueEmail(name);
        var user = await Users.SignInAsync(new SignInIdentity($"sub-{email}", email, name, groups), Ct);
        return (user, PortalActors.For(user));
    }

    protected Task<(User User, PortalActor Actor)> SignInAdminAsync(string name = "admin") => SignInAsync(name, AdminGroup);

    /// <summary>A team owned by <paramref name="owner"/>, with a unique slug.</summary>
    protected async Task<Team> CreateTeamAsync(PortalActor owner, string prefix = "team")
    {
        var slug = Unique(prefix);
        var view = await Teams.CreateTeamAsync(owner, new NewTeam(slug, $"Team {slug}", null, null), Ct);
        return view.Team;
    }

    /// <summary>A signed-in person added to <paramref name="team"/> with <paramref name="role"/> by its owner.</summary>
    protected async Task<(User User, PortalActor Actor)> AddMemberAsync(PortalActor owner, Team team, TeamRole role, string name = "member")
    {
        var (user, actor) = await SignInAsync(name);
        await Members.AddMemberAsync(owner, team.Slug, user.Email, role, Ct);
        return (user, actor);
    }

    /// <summary>The highest audit entry id now, to find exactly the entries a call writes afterwards.</summary>
    protected async Task<long> LastAuditIdAsync()
    {
        await using var db = Database.CreateContext();
        return await db.AuditEntries.MaxAsync(e => (long?)e.Id, Ct) ?? 0;
    }

    protected async Task<List<AuditEntry>> AuditEntriesAfterAsync(long lastId)
    {
        await using var db = Database.CreateContext();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Id > lastId).OrderBy(e => e.Id).ToListAsync(Ct);
    }

    public void Dispose()
    {
        _services.Dispose();
        GC.SuppressFinalize(this);
    }
}
