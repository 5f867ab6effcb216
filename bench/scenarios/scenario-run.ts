/** What every scenario that starts a reference cloud and a driver is given. */
export interface ScenarioRun {
  /** How long every asynchronous cloud operation takes. */
  latencyMs: number;
  /** Client-side rate limit of the cloud API, the same for the driver and the direct side. */
  qps: number;
  burst: number;
  workDir: string;
  repoRoot: string;
  /** The built checkout whose driver is started; `repoRoot` unless set. */
  driverRoot?: string | undefined;
  driverLogLevel?: string;
  /** Where each driver writes a V8 CPU profile; none unless set. */
  driverCpuProfileDir?: string | undefined;
}
