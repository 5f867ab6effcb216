import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { BallastError } from "../shared/errors.js";

/**
 * Where the bearer token comes from. Implementations never log the token or put it into an
 * error message.
 */
export interface TokenSource {
  token(): Promise<string>;
}

export function staticTokenSource(token: string): TokenSource {
  if (token.trim() === "") throw new BallastError("InvalidArgument", "cloud token: must not be empty");
  const value = token.trim();
  return { token: async () => value };
}

/**
 * Reads the token from a file and re-reads it whenever the file changes (mtime, size or inode),
 * so a rotated Kubernetes Secret (an atomic symlink swap) takes effect without a restart. Every
 * request stats the file, which, unlike fs.watch, survives symlink swaps. The stat is synchronous:
 * on a Secret's tmpfs it takes a microsecond or two, where an async stat's trip through libuv's
 * thread pool cost the event loop 30–50 µs and the request, behind other pool work, milliseconds.
 */
export class FileTokenSource implements TokenSource {
  private cached: { fingerprint: string; token: string } | undefined;

  constructor(readonly path: string) {}

  async token(): Promise<string> {
    let fingerprint: string;
    try {
      const info = statSync(this.path);
      fingerprint = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (this.cached?.fingerprint === fingerprint) return this.cached.token;
      const token = (await readFile(this.path, "utf8")).trim();
      if (token === "") {
        throw new BallastError("Unavailable", `cloud token file ${JSON.stringify(this.path)} is empty`);
      }
      this.cached = { fingerprint, token };
      return token;
    } catch (error) {
      if (error instanceof BallastError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
      throw new BallastError(
        "Unavailable",
        `cloud token file ${JSON.stringify(this.path)} cannot be read: ${code}`,
      );
    }
  }
}

/** The one token source the client options name: a token, a token file or a source. */
export function tokenSourceFrom(options: {
  token?: string;
  tokenFile?: string;
  tokenSource?: TokenSource;
}): TokenSource {
  const given = [options.token, options.tokenFile, options.tokenSource].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw new BallastError(
      "InvalidArgument",
      `cloud credentials: give exactly one of token, tokenFile and tokenSource (got ${given.length})`,
    );
  }
  if (options.tokenSource !== undefined) return options.tokenSource;
  if (options.tokenFile !== undefined) return new FileTokenSource(options.tokenFile);
  return staticTokenSource(options.token ?? "");
}
