import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkCapabilities, unsupportedCapabilityReason } from "../../src/controller/access-modes.js";
import { VolumeCapability_AccessMode_Mode as Mode, type VolumeCapability } from "../../src/generated/csi.js";
import { BALLAST_CAPABILITIES } from "../../src/providers/ballast/index.js";

const mount = (mode: Mode, fsType = ""): VolumeCapability => ({
  accessType: { $case: "mount", value: { fsType, mountFlags: [], volumeMountGroup: "" } },
  accessMode: { mode },
});
const block = (mode: Mode): VolumeCapability => ({
  accessType: { $case: "block", value: {} },
  accessMode: { mode },
});
const single = { name: "balanced", multiAttach: false };
const multi = { name: "performance", multiAttach: true };
const ballast = { name: "ballast" as const, capabilities: BALLAST_CAPABILITIES };
const singleAttachCloud = {
  name: "digitalocean" as const,
  capabilities: { ...BALLAST_CAPABILITIES, multiAttach: false },
};

describe("unsupportedCapabilityReason", () => {
  for (const mode of [
    Mode.SINGLE_NODE_WRITER,
    Mode.SINGLE_NODE_SINGLE_WRITER,
    Mode.SINGLE_NODE_MULTI_WRITER,
    Mode.SINGLE_NODE_READER_ONLY,
  ]) {
    test(`accepts ${Mode[mode]} on any tier`, () => {
      assert.equal(unsupportedCapabilityReason(mount(mode), ballast, single), undefined);
    });
  }

  test("accepts MULTI_NODE_READER_ONLY on a multi-attach tier", () => {
    assert.equal(unsupportedCapabilityReason(block(Mode.MULTI_NODE_READER_ONLY), ballast, multi), undefined);
  });

  test("refuses MULTI_NODE_READER_ONLY on a single-attach tier", () => {
    assert.equal(
      unsupportedCapabilityReason(block(Mode.MULTI_NODE_READER_ONLY), ballast, single),
      "access mode MULTI_NODE_READER_ONLY needs a tier that attaches to several nodes; balanced does not",
    );
  });

  test("refuses MULTI_NODE_READER_ONLY on a provider without multi-attach, naming the provider", () => {
    assert.equal(
      unsupportedCapabilityReason(block(Mode.MULTI_NODE_READER_ONLY), singleAttachCloud, multi),
      "access mode MULTI_NODE_READER_ONLY is not supported: provider digitalocean does not attach a volume to several nodes",
    );
  });

  test("refuses MULTI_NODE_SINGLE_WRITER naming it", () => {
    assert.equal(
      unsupportedCapabilityReason(mount(Mode.MULTI_NODE_SINGLE_WRITER), ballast, multi),
      "access mode MULTI_NODE_SINGLE_WRITER is not supported",
    );
  });

  test("refuses an unsupported filesystem", () => {
    assert.equal(
      unsupportedCapabilityReason(mount(Mode.SINGLE_NODE_WRITER, "ntfs"), ballast, single),
      'fs_type "ntfs" is not supported (ext4, xfs)',
    );
  });

  test("refuses a capability without access type", () => {
    assert.equal(
      unsupportedCapabilityReason({ accessMode: { mode: Mode.SINGLE_NODE_WRITER } }, ballast, single),
      "access_type (mount or block) is missing",
    );
  });
});

describe("checkCapabilities", () => {
  test("an empty list is InvalidArgument", () => {
    assert.throws(() => checkCapabilities("volume_capabilities", [], ballast), {
      message: "volume_capabilities: is required",
    });
  });

  test("names the index of the refused capability", () => {
    assert.throws(
      () =>
        checkCapabilities(
          "volume_capabilities",
          [mount(Mode.SINGLE_NODE_WRITER), mount(Mode.MULTI_NODE_MULTI_WRITER)],
          ballast,
        ),
      { message: "volume_capabilities[1]: access mode MULTI_NODE_MULTI_WRITER is not supported" },
    );
  });
});
