import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { grpcAddress, parseEndpoint } from "../../src/csi/endpoint.js";

describe("parseEndpoint", () => {
  test("reads a unix socket URL", () => {
    assert.deepEqual(parseEndpoint("unix:///csi/csi.sock"), { kind: "unix", path: "/csi/csi.sock" });
  });

  test("reads a bare absolute path as a unix socket", () => {
    assert.deepEqual(parseEndpoint("/csi/csi.sock"), { kind: "unix", path: "/csi/csi.sock" });
  });

  test("reads a tcp endpoint", () => {
    assert.deepEqual(parseEndpoint("tcp://127.0.0.1:10000"), { kind: "tcp", host: "127.0.0.1", port: 10000 });
  });

  test("refuses a relative unix path", () => {
    assert.throws(() => parseEndpoint("unix://csi.sock"), { kind: "InvalidArgument" });
  });

  test("refuses another scheme naming the value", () => {
    assert.throws(() => parseEndpoint("http://x"), {
      message: '--endpoint: "http://x" is not unix:///path or tcp://host:port',
    });
  });

  test("refuses a tcp endpoint without a port", () => {
    assert.throws(() => parseEndpoint("tcp://127.0.0.1"), { kind: "InvalidArgument" });
  });

  test("gives grpc-js the address to bind", () => {
    assert.equal(grpcAddress({ kind: "unix", path: "/a.sock" }), "unix:///a.sock");
    assert.equal(grpcAddress({ kind: "tcp", host: "127.0.0.1", port: 5 }), "127.0.0.1:5");
  });
});
