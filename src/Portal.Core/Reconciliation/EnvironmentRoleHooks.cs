using Portal.Core.Environments;

namespace Portal.Core.Reconciliation;

/// <summary>
/// Callbacks the host may set around the use of a team environment's provisioner role. Against AWS there are none:
/// the account owner creates the role and its trust policy. In the embedded mode the host sets
/// <see cref="BeforeAssumeRole"/> to register the environment's account, role and external id with the in-process
/// emulator, so any environment a newcomer registers just works.
/// </summary>
/// <remarks>
/// A callback rather than an interface: there is one implementation (the emulator's), and Portal.Core must not know
/// the emulator. It runs before every AssumeRole rather than once at registration, which also covers a changed role
/// ARN and an emulator restarted without the roles it was given at run time. It must be idempotent and cheap.
/// </remarks>
public sealed class EnvironmentRoleHooks
{
    public Func<TeamEnvironment, CancellationToken, Task>? BeforeAssumeRole { get; set; }

    public Task BeforeAssumeRoleAsync(TeamEnvironment environment, CancellationToken ct) =>
        BeforeAssumeRole?.Invoke(environment, ct) ?? Task.CompletedTask;
}
