import { unavailable } from "../../shared/errors.js";

/** A cloud's metadata service answers in milliseconds on its machines; elsewhere nothing answers. */
const METADATA_TIMEOUT_MS = 2_000;

export interface MetadataOptions {
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/**
 * One plain-text value of a cloud's metadata service (link-local, no token). A service that does
 * not answer is Unavailable naming the URL and asking whether this is one of the cloud's machines;
 * `cloud` names it in messages ("DigitalOcean"), `machine` what runs there ("droplet").
 */
export async function readMetadataText(
  url: string,
  names: { cloud: string; machine: string },
  options: MetadataOptions,
  signal?: AbortSignal,
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? METADATA_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const fetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await fetch(url, {
      signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
    });
  } catch (error) {
    const reason = timeout.aborted
      ? `no answer within ${timeoutMs} ms`
      : error instanceof Error
        ? ((error.cause as Error | undefined)?.message ?? error.message)
        : String(error);
    throw unavailable(
      `${names.cloud} metadata ${url}: ${reason} (is this a ${names.cloud} ${names.machine}? else set --node-id and --zone)`,
    );
  }
  const body = (await response.text()).trim();
  if (!response.ok) throw unavailable(`${names.cloud} metadata ${url}: HTTP ${response.status}`);
  return body;
}
