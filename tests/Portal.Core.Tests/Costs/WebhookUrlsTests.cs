using Portal.Core.Costs.Budgets;

namespace Portal.Core.Tests.Costs;

/// <summary>What a webhook URL looks like wherever the portal shows, logs or audits it: no part that lets one call the hook.</summary>
public sealed class WebhookUrlsTests
{
    [Theory]
    // Slack incoming webhooks and workflow triggers: the last segments are the secret.
    [InlineData("https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX", "https://hooks.slack.com/services/T0001/***")]
    [InlineData("https://hooks.slack.com/triggers/T0001/1234567/abcdef0123456789abcdef0123456789", "https://hooks.slack.com/triggers/T0001/***")]
    // Discord: /api/webhooks/{id}/{token}, on every Discord host.
    [InlineData("https://discord.com/api/webhooks/112233445566/Zx9_yW-vUt8sRqPoNmLkJiHgFeDcBa7654321", "https://discord.com/api/webhooks/112233445566/***")]
    [InlineData("https://discordapp.com/api/webhooks/112233445566/secret", "https://discordapp.com/api/webhooks/112233445566/***")]
    [InlineData("https://canary.discord.com/api/webhooks/112233445566/secret", "https://canary.discord.com/api/webhooks/112233445566/***")]
    // Microsoft Teams incoming webhooks (tenant-specific host and the older outlook.office.com one).
    [InlineData("https://contoso.webhook.office.com/webhookb2/1b2c3d4e-0000-4000-8000-000000000001@72f988bf-0000-4000-8000-000000000002/IncomingWebhook/0123456789abcdef0123456789abcdef/5f6e7d8c-0000-4000-8000-000000000003/V2signature",
        "https://contoso.webhook.office.com/webhookb2/***")]
    [InlineData("https://outlook.office.com/webhook/a-b-c@d-e-f/IncomingWebhook/abc/def", "https://outlook.office.com/webhook/***")]
    // Teams workflows (Power Automate) sign in the query.
    [InlineData("https://prod-12.westeurope.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s3cr3t",
        "https://prod-12.westeurope.logic.azure.com/workflows/***/triggers/manual/paths/invoke?api-version=***&sig=***")]
    // Host names match whole labels, whatever their case.
    [InlineData("https://HOOKS.Slack.com/services/T0001/B0002/secret", "https://hooks.slack.com/services/T0001/***")]
    public void PathSecretsOfKnownReceivers_AreMasked_KeepingWhatRecognisesTheHook(string url, string shown)
    {
        Assert.Equal(shown, WebhookUrls.Redact(url));
    }

    [Theory]
    [InlineData("https://hooks.example.test/budget/7f3a9c2e5b8d4f01a6c3e9b2d5f8a1c4", "https://hooks.example.test/budget/***")]
    [InlineData("https://hooks.example.test/in/3f2a7c9e-1b4d-4e8f-9a6c-2d5e8f1b4a7c/alerts", "https://hooks.example.test/in/***/alerts")]
    [InlineData("https://hooks.example.test/T0001/B0002/aB3dE5gH7jK9mN1pQ3sT5vW7", "https://hooks.example.test/T0001/B0002/***")]
    public void TokenLikeSegmentsElsewhere_AreMasked_ReadableWordsAreNot(string url, string shown)
    {
        Assert.Equal(shown, WebhookUrls.Redact(url));
    }

    [Theory]
    [InlineData("https://hooks.example.test/budget")]
    [InlineData("https://hooks.example.test/teams/ml-platform/budget-notifications")]
    [InlineData("https://outlook.office.com/webhook")]
    [InlineData("https://hooks.slack.com/services/T0001")]
    [InlineData("http://127.0.0.1:8080/IncomingWebhook/2026-11")]
    [InlineData("not a url")]
    [InlineData("")]
    [InlineData(null)]
    public void UrlsWithoutCredentials_AreShownAsGiven(string? url)
    {
        Assert.Equal(url, WebhookUrls.Redact(url));
    }

    [Fact]
    public void UserInfoQueryAndFragment_AreMaskedWithThePath()
    {
        Assert.Equal("https://***@hooks.slack.com/services/T0001/***?channel=***#***",
            WebhookUrls.Redact("https://bot:pw@hooks.slack.com/services/T0001/B0002/secret?channel=ops#frag"));
    }

    [Fact]
    public void AMaskedPathSentBack_KeepsTheStoredUrl_AndANewUrlReplacesIt()
    {
        const string stored = "https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX";

        Assert.Equal(stored, WebhookUrls.Resolve("https://hooks.slack.com/services/T0001/***", stored));
        Assert.Equal("https://hooks.slack.com/services/T0001/B0003/YYYY",
            WebhookUrls.Resolve("https://hooks.slack.com/services/T0001/B0003/YYYY", stored));
    }

    [Fact]
    public void TheSecretNeverSurvivesRedaction_ForAnyKnownReceiverShape()
    {
        const string secret = "Zq7Wx2Rt9Yp4Lm6Kn8Jb3Hc5";
        string[] urls =
        [
            $"https://hooks.slack.com/services/T0001/B0002/{secret}",
            $"https://discord.com/api/webhooks/1122/{secret}",
            $"https://acme.webhook.office.com/webhookb2/x@y/IncomingWebhook/{secret}/z/sig",
            $"https://receiver.example.test/hooks/{secret}",
            $"https://receiver.example.test/hooks?key={secret}",
            $"https://u:{secret}@receiver.example.test/hooks",
        ];
        Assert.All(urls, url => Assert.DoesNotContain(secret, WebhookUrls.Redact(url)));
    }
}
