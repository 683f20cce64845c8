using MudBlazor;

namespace Portal.Web.Components.Layout;

/// <summary>
/// The portal's brand: a deep violet primary with a teal accent, the same hues in light and dark. System fonts only,
/// because the portal must render on machines without internet access.
/// </summary>
public static class PortalTheme
{
    private static readonly string[] SystemFonts = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#5b3cc4",
            // Darker than Material's teal 600 and red 500 so white chip text and red error text on white reach WCAG AA
            // (4.5:1; axe checks it in the end-to-end tests).
            Secondary = "#00796b",
            Error = "#c62828",
            Success = "#2e7d32",
            Warning = "#a15c00",
            // Material's blue 500 reads 2.9:1 as outlined chip text and 3.5:1 in an info alert; blue 800 passes AA in both
            // (the cluster page's progress message and its timeline's "started" chips).
            Info = "#1565c0",
            Tertiary = "#e8598b",
            AppbarBackground = "#2d1b69",
            AppbarText = "#ffffff",
            Background = "#f6f5fb",
            // MudBlazor's default (black at 60%) reads 4.47:1 on this background, just under AA: labels and helper texts use it.
            TextSecondary = "rgba(0,0,0,0.66)",
            DrawerBackground = "#ffffff",
            DrawerText = "rgba(0,0,0,0.8)",
            DrawerIcon = "#5b3cc4",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9d86ff",
            Secondary = "#4db6ac",
            Tertiary = "#f48fb1",
            AppbarBackground = "#1b1433",
            AppbarText = "#ffffff",
            Background = "#121017",
            Surface = "#1d1a26",
            DrawerBackground = "#17141f",
            DrawerText = "rgba(255,255,255,0.8)",
            DrawerIcon = "#9d86ff",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = SystemFonts },
            H1 = new H1Typography { FontFamily = SystemFonts, FontSize = "2rem", FontWeight = "600", LineHeight = "1.25" },
            H2 = new H2Typography { FontFamily = SystemFonts, FontSize = "1.5rem", FontWeight = "600", LineHeight = "1.3" },
            H3 = new H3Typography { FontFamily = SystemFonts, FontSize = "1.25rem", FontWeight = "600", LineHeight = "1.35" },
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "8px" },
    };
}
