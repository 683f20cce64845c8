// Small browser helpers for the Blazor UI. Plain script (no modules, no CDN): the portal runs offline.
window.unicronPortal = {
    // "dark", "light" or null when the user never chose (then the layout follows the system setting).
    getThemePreference: function () {
        try { return window.localStorage.getItem("unicron-portal-theme"); } catch { return null; }
    },
    setThemePreference: function (value) {
        try { window.localStorage.setItem("unicron-portal-theme", value); } catch { /* private mode: not persisted */ }
    },
    // Returns false when the clipboard is unavailable (plain http on a non-loopback host), so the UI can say so.
    copyText: async function (text) {
        try { await navigator.clipboard.writeText(text); return true; } catch { return false; }
    }
};
