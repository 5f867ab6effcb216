import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Paths pino removes from every line. The gRPC adapter already strips CSI `secrets` before
 * logging; these catch anything that slips through under the usual names.
 */
export const REDACTED_PATHS = [
  "secrets",
  "*.secrets",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "password",
  "*.password",
  "headers.cookie",
  "*.headers.cookie",
];

/**
 * Where the driver's lines go: stdout (1), or stderr (2) where stdout is kept for other lines.
 * Each line is one write, made before the log call returns, as a Go driver's are. pino's default
 * stdout destination hands each line to the thread pool instead: at one line per RPC there is
 * nothing to batch, so every line cost a thread hand-off (60-90 µs of CPU against 3 µs written
 * directly), waited for a pool thread the node's device reads also need, and was lost if the
 * process died first.
 */
export function stdioDestination(fd: 1 | 2): DestinationStream {
  return pino.destination({ dest: fd, sync: true });
}

export function createLogger(level: LogLevel, destination: DestinationStream = stdioDestination(1)): Logger {
  return pino(
    {
      level,
      base: { service: "ballast" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
