using Portal.Bench;

// scripts/bench.sh runs this in Release against a private PostgreSQL; see bench/README.md.
return await BenchRunner.RunAsync(args);
