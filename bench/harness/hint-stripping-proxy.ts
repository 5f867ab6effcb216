import { Agent, createServer, type IncomingHttpHeaders, request } from "node:http";
import type { AddressInfo } from "node:net";

/** Response headers through which the cloud tells a client when to poll again. */
const HINT_HEADERS = new Set(["retry-after", "poll-after-ms"]);

export interface HintStrippingProxy {
  /** Base URL to give a client instead of the cloud's. */
  readonly url: string;
  close(): Promise<void>;
}

function withoutHints(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HINT_HEADERS.has(name)));
}

/**
 * A pass-through HTTP proxy on 127.0.0.1:0 in front of the reference cloud that removes the
 * polling hints from every answer, so a client falls back to its own polling backoff: the
 * "no server hints" waiting strategy of the API economy scenario.
 */
export async function startHintStrippingProxy(upstreamUrl: string): Promise<HintStrippingProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const server = createServer((incoming, outgoing) => {
    const forwarded = request(
      {
        agent,
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, withoutHints(answer.headers));
        answer.pipe(outgoing);
      },
    );
    forwarded.on("error", () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
