// Preloaded into the driver process the benchmarks start (`node --import`): the harness holds
// the driver's stdin open, so when the harness dies without stopping the driver, stdin ends and
// the driver gets the SIGTERM it would have sent (the driver's own drain-and-exit path).
process.stdin.once("end", () => process.kill(process.pid, "SIGTERM"));
process.stdin.resume();
