import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface MetadataService {
  url: string;
  /** The paths asked for, in the order they came. */
  asked: string[];
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A metadata service on 127.0.0.1 answering `paths`, 404 elsewhere. */
export async function metadataService(paths: Record<string, string>): Promise<MetadataService> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(req.url ?? "");
    const body = paths[req.url ?? ""];
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "text/plain" });
    res.end(body ?? "not found");
  });
  const url = await listen(server);
  return { url, asked, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A metadata service that takes every request and never answers it: only the client's timeout ends the wait. */
export async function silentMetadataService(): Promise<Omit<MetadataService, "asked">> {
  const server = createServer(() => undefined);
  const url = await listen(server);
  return {
    url,
    close: () => {
      // The requests it never answered hold their connections open; close() would wait for them.
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
