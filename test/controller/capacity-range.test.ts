import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { VolumeType } from "../../src/controller/block-storage.js";
import { chooseVolumeSize, sizeSatisfies } from "../../src/controller/capacity-range.js";

const GiB = 1024 ** 3;
const tier: VolumeType = {
  name: "t",
  minSizeBytes: 4 * GiB,
  maxSizeBytes: 100 * GiB,
  sizeGranularityBytes: GiB,
  supportsEncryption: true,
  multiAttach: false,
};
const big = (n: number) => BigInt(n);

describe("chooseVolumeSize", () => {
  test("rounds the required size up to the granularity", () => {
    assert.equal(chooseVolumeSize({ requiredBytes: big(5 * GiB + 1), limitBytes: 0n }, tier), 6 * GiB);
  });

  test("raises a small request to the tier minimum", () => {
    assert.equal(chooseVolumeSize({ requiredBytes: big(GiB), limitBytes: 0n }, tier), 4 * GiB);
  });

  test("with no size asked gives the tier minimum", () => {
    assert.equal(chooseVolumeSize({ requiredBytes: 0n, limitBytes: 0n }, tier), 4 * GiB);
  });

  test("a limit below the smallest possible size is OutOfRange", () => {
    assert.throws(() => chooseVolumeSize({ requiredBytes: 0n, limitBytes: big(2 * GiB) }, tier), {
      kind: "OutOfRange",
    });
  });

  test("a size above the tier maximum is OutOfRange", () => {
    assert.throws(() => chooseVolumeSize({ requiredBytes: big(101 * GiB), limitBytes: 0n }, tier), {
      kind: "OutOfRange",
    });
  });

  test("required above limit is OutOfRange", () => {
    assert.throws(() => chooseVolumeSize({ requiredBytes: big(10 * GiB), limitBytes: big(5 * GiB) }, tier), {
      kind: "OutOfRange",
    });
  });

  test("a negative size is InvalidArgument", () => {
    assert.throws(() => chooseVolumeSize({ requiredBytes: -1n, limitBytes: 0n }, tier), {
      kind: "InvalidArgument",
    });
  });
});

describe("sizeSatisfies", () => {
  test("accepts a size between required and limit", () => {
    assert.equal(sizeSatisfies(5 * GiB, { requiredBytes: big(4 * GiB), limitBytes: big(6 * GiB) }), true);
  });

  test("refuses a size above the limit", () => {
    assert.equal(sizeSatisfies(7 * GiB, { requiredBytes: big(4 * GiB), limitBytes: big(6 * GiB) }), false);
  });

  test("refuses a size below the required", () => {
    assert.equal(sizeSatisfies(3 * GiB, { requiredBytes: big(4 * GiB), limitBytes: 0n }), false);
  });
});
