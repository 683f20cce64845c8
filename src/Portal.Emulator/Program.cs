namespace Portal.Emulator;

/// <summary>Standalone emulator: <c>dotnet run --project src/Portal.Emulator -- --urls http://127.0.0.1:4566</c>.</summary>
public static class Program
{
    public static async Task Main(string[] args)
    {
        // Filled in by the emulator host work (issue 3).
        await Task.CompletedTask;
    }
}
