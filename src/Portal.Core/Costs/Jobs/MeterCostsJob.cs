using Portal.Core.Costs.Budgets;
using Portal.Core.Costs.Metering;

namespace Portal.Core.Costs.Jobs;

/// <summary>
/// The recurring cost job (every <see cref="CostOptions.MeteringInterval"/>): meters the hours that ended since the
/// last run, then evaluates budgets and delivers their pending notifications. Type and method name are a stored
/// Hangfire contract.
/// </summary>
public sealed class MeterCostsJob(CostMetering metering, BudgetService budgets)
{
    public const string RecurringJobId = "meter-costs";

    public async Task RunAsync(CancellationToken ct)
    {
        await metering.MeterDueAsync(ct);
        await budgets.EvaluateAsync(ct);
        await budgets.DeliverPendingAsync(ct);
    }
}
