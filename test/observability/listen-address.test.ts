import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatListenAddress, parseListenAddress } from "../../src/observability/listen-address.js";

describe("parseListenAddress", () => {
  test("reads an IPv4 host and port", () => {
    assert.deepEqual(parseListenAddress("0.0.0.0:9808"), { host: "0.0.0.0", port: 9808 });
  });

  test("reads a bracketed IPv6 host", () => {
    assert.deepEqual(parseListenAddress("[::1]:9808"), { host: "::1", port: 9808 });
  });

  test("reads a host name", () => {
    assert.deepEqual(parseListenAddress("localhost:8080"), { host: "localhost", port: 8080 });
  });

  test("reads :port as every IPv4 interface", () => {
    assert.deepEqual(parseListenAddress(":9808"), { host: "0.0.0.0", port: 9808 });
  });

  test("accepts port 0 for an ephemeral port", () => {
    assert.deepEqual(parseListenAddress("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
  });

  const rejected: [string, string][] = [
    ["9808", '--metrics-address: "9808" is not host:port'],
    ["127.0.0.1:", '--metrics-address: "127.0.0.1:" has port "", not a number'],
    ["127.0.0.1:http", '--metrics-address: "127.0.0.1:http" has port "http", not a number'],
    ["127.0.0.1:70000", '--metrics-address: "127.0.0.1:70000" has port 70000, above 65535'],
    ["::1:9808", '--metrics-address: "::1:9808" has an IPv6 address without brackets; write [address]:port'],
    [
      "[localhost]:9808",
      '--metrics-address: "[localhost]:9808" has "localhost" in brackets, which is not an IPv6 address',
    ],
    ["bad host!:9808", '--metrics-address: "bad host!:9808" has "bad host!", not a host'],
  ];
  for (const [value, message] of rejected) {
    test(`rejects ${JSON.stringify(value)} naming the flag and the value`, () => {
      assert.throws(() => parseListenAddress(value), {
        name: "BallastError",
        kind: "InvalidArgument",
        message,
      });
    });
  }

  test("names the flag it was given", () => {
    assert.throws(() => parseListenAddress("nope", "--health-address"), {
      message: '--health-address: "nope" is not host:port',
    });
  });
});

describe("formatListenAddress", () => {
  test("brackets IPv6 hosts and leaves others as they are", () => {
    assert.equal(formatListenAddress({ host: "::1", port: 9808 }), "[::1]:9808");
    assert.equal(formatListenAddress({ host: "127.0.0.1", port: 9808 }), "127.0.0.1:9808");
  });
});
