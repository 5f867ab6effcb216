import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { createBlockStorageClient } from "../../src/cloud/block-storage-client.js";
import { CloudTransportError } from "../../src/cloud/call-errors.js";
import { BallastError } from "../../src/shared/errors.js";

const run = promisify(execFile);

describe("TLS with a custom CA bundle", () => {
  let dir: string;
  let server: Server;
  let url: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ballast-tls-"));
    // A self-signed certificate for 127.0.0.1 stands for a private cloud's CA.
    await run(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { timeout: 30_000 },
    );
    const [key, cert] = await Promise.all([readFile(join(dir, "key.pem")), readFile(join(dir, "cert.pem"))]);
    server = createServer({ key, cert }, (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ items: [{ name: "ref-1a", region: "ref-1", status: "available" }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  test("trusts the server when its CA is in caFile", async () => {
    const client = createBlockStorageClient({ baseUrl: url, token: "t", caFile: join(dir, "cert.pem") });
    try {
      const zones = await client.listZones({ deadline: Date.now() + 10_000 });
      assert.deepEqual(
        zones.map((z) => z.name),
        ["ref-1a"],
      );
    } finally {
      await client.close();
    }
  });

  test("refuses the server without the CA, saying why, and does not retry", async () => {
    const client = createBlockStorageClient({ baseUrl: url, token: "t" });
    try {
      await assert.rejects(client.listZones({ deadline: Date.now() + 10_000 }), (error: unknown) => {
        assert.ok(error instanceof CloudTransportError);
        assert.equal(error.reason, "tls");
        assert.match(error.message, /^cloud listZones: tls: self-signed certificate/);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test("an unreadable caFile is InvalidArgument naming it", () => {
    const missing = join(dir, "absent.pem");
    assert.throws(
      () => createBlockStorageClient({ baseUrl: url, token: "t", caFile: missing }),
      new BallastError("InvalidArgument", `caFile: ${JSON.stringify(missing)} cannot be read: ENOENT`),
    );
  });
});
