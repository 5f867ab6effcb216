import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseBenchArgs, SMOKE_OPTIONS, UsageError } from "../../bench/options.js";

const parse = (...argv: string[]) => parseBenchArgs(argv, "/tmp/out");

describe("bench --cloud-provider", () => {
  test("runs on the ballast API alone by default", () => {
    assert.deepEqual(parse()?.cloudProviders, ["ballast"]);
  });

  test("takes a comma-separated list in the order given, each provider once", () => {
    assert.deepEqual(parse("--cloud-provider", "hetzner, digitalocean,hetzner")?.cloudProviders, [
      "hetzner",
      "digitalocean",
    ]);
  });

  test("all means every provider", () => {
    assert.deepEqual(parse("--cloud-provider", "all")?.cloudProviders, [
      "ballast",
      "digitalocean",
      "hetzner",
    ]);
  });

  test("the smoke preset runs every provider, and the flag overrides it", () => {
    assert.deepEqual(SMOKE_OPTIONS.cloudProviders, ["ballast", "digitalocean", "hetzner"]);
    assert.deepEqual(parse("--smoke", "--cloud-provider", "digitalocean")?.cloudProviders, ["digitalocean"]);
  });

  test("an unknown provider is refused, naming it and the choices", () => {
    assert.throws(
      () => parse("--cloud-provider", "digitalocean,aws"),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message === '--cloud-provider: "aws" is not one of ballast, digitalocean, hetzner, all',
    );
  });
});
