using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Portal.Api.Infrastructure;
using Portal.Core.Audit;

namespace Portal.Api.Audit;

/// <summary>One audit entry; <c>before</c> and <c>after</c> are the recorded snapshots with secrets already redacted.</summary>
public sealed record AuditEntryResponse(
    long Id,
    DateTimeOffset At,
    ActorKind ActorKind,
    Guid? ActorUserId,
    Guid? ActorTokenId,
    string ActorName,
    string Action,
    string TargetType,
    string TargetId,
    Guid? TeamId,
    JsonElement? Before,
    JsonElement? After,
    string? ClientAddress,
    AuditOutcome Outcome)
{
    public static AuditEntryResponse From(AuditEntry e) => new(
        e.Id, e.At, e.ActorKind, e.ActorUserId, e.ActorTokenId, e.ActorName, e.Action, e.TargetType, e.TargetId, e.TeamId,
        Parse(e.BeforeJson), Parse(e.AfterJson), e.ClientAddress, e.Outcome);

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}

/// <summary><c>/api/v1/audit</c>: newest first. Platform admins read everything; owners read their teams' entries.</summary>
public static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", ListAsync).WithTags("Audit").WithName("ListAuditEntries")
            .WithSummary("Audit entries, newest first; filter by team (owners) and action (such as team.create).")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Ok<PageResponse<AuditEntryResponse>>> ListAsync(
        HttpContext http, AuditService audit,
        [MaxLength(30)] string? team, [MaxLength(64)] string? action, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await audit.ListAsync(http.Actor(), new AuditQuery(team, action, cursor, limit), ct);
        return TypedResults.Ok(page.ToResponse(http, AuditEntryResponse.From));
    }
}
