import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CloudRequest,
  type CloudResponse,
  createHttpTransport,
  type HttpTransport,
} from "../../src/cloud/transport.js";
import { ScriptedServer } from "./scripted-server.js";

/** The transport on its own, against a real HTTP server: what goes out, what comes back. */
describe("HTTP transport", () => {
  let server: ScriptedServer;
  let transport: HttpTransport;

  before(async () => {
    server = await ScriptedServer.start();
    transport = createHttpTransport({ connections: 1 });
  });

  after(async () => {
    await transport.close();
    await server.close();
  });

  function send(url: string, init?: RequestInit): Promise<CloudResponse> {
    return transport.fetch(new transport.Request(url, init)) as unknown as Promise<CloudResponse>;
  }

  test("sends the method, path with query, headers and text body as given", async () => {
    server.script((_request, response) => response.end("{}"));
    await send(`${server.url}/v1/volumes?zone=ref-1a&limit=2`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer t" },
      body: '{"name":"pvc-1"}',
    });
    const sent = server.requests.at(-1);
    assert.equal(sent?.method, "POST");
    assert.equal(sent?.url, "/v1/volumes?zone=ref-1a&limit=2");
    assert.equal(sent?.headers["content-type"], "application/json");
    assert.equal(sent?.headers.authorization, "Bearer t");
    assert.equal(sent?.body, '{"name":"pvc-1"}');
  });

  test("answers the status, every header and the body as text and as JSON", async () => {
    server.script((_request, response) => {
      response.writeHead(202, { "poll-after-ms": "20", "x-tag": ["a", "b"] });
      response.end('{"id":"op-1"}');
    });
    const answer = await send(`${server.url}/v1/operations/op-1`);
    assert.equal(answer.status, 202);
    assert.equal(answer.ok, true);
    assert.equal(answer.headers.get("poll-after-ms"), "20");
    assert.equal(answer.headers.get("x-tag"), "a, b");
    assert.equal(await answer.text(), '{"id":"op-1"}');
    assert.deepEqual(await answer.json(), { id: "op-1" });
  });

  test("a 4xx is an answer that is not ok, with its body", async () => {
    server.script((_request, response) => {
      response.writeHead(404);
      response.end('{"code":"not_found"}');
    });
    const answer = await send(`${server.url}/v1/volumes/vol-404`);
    assert.equal(answer.status, 404);
    assert.equal(answer.ok, false);
    assert.equal(await answer.text(), '{"code":"not_found"}');
  });

  test("a redirect is answered, not followed", async () => {
    server.script((_request, response) => {
      response.writeHead(307, { location: "/v2/volumes" });
      response.end();
    });
    const requestsBefore = server.requests.length;
    const answer = await send(`${server.url}/v1/volumes`);
    assert.equal(answer.status, 307);
    assert.equal(answer.ok, false);
    assert.equal(server.requests.length, requestsBefore + 1);
  });

  test("answers whose body nobody reads still hand the one socket back to the pool", {
    timeout: 10_000,
  }, async () => {
    server.script((_request, response) => {
      response.writeHead(409);
      response.end(`{"code":"conflict","message":"${"x".repeat(64 * 1024)}"}`);
    });
    for (let i = 0; i < 5; i++) assert.equal((await send(`${server.url}/v1/volumes/vol-${i}`)).status, 409);
    server.script((_request, response) => response.end("{}"));
    assert.equal((await send(`${server.url}/v1/zones`)).status, 200);
  });

  test("a signal that fires before the answer rejects with the signal's reason", async () => {
    server.script(() => {});
    const controller = new AbortController();
    const reason = new Error("call cancelled by test");
    const answer = send(`${server.url}/v1/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);
    await assert.rejects(answer, (error: unknown) => error === reason);
  });

  test("the Headers openapi-fetch built for the request are taken, not copied", () => {
    const headers = new Headers({ authorization: "Bearer t" });
    assert.equal(new CloudRequest("http://127.0.0.1:1/v1/zones", { headers }).headers, headers);
  });

  test("a body that is not text is refused, naming the request", () => {
    assert.throws(
      () => new CloudRequest("http://127.0.0.1:1/v1/volumes", { method: "POST", body: new Uint8Array(1) }),
      new TypeError("cloud request http://127.0.0.1:1/v1/volumes: only text bodies are sent, not object"),
    );
  });
});
