import assert from "node:assert/strict";
import { test } from "node:test";
import {
  parseDeviceIdentificationPage,
  scsiProof,
  vendorSpecificTexts,
} from "../../../src/node/scsi-identity.js";
import { vpdPage83 } from "../fakes/scsi-pages.js";

/** A page written out row by row: the header, then each descriptor's header and value. */
function bytes(...rows: number[][]): Buffer {
  return Buffer.from(rows.flat());
}

/** `pvc-1` as a vendor-specific ASCII designator of the logical unit. */
const DO_PAGE = bytes(
  [0x00, 0x83, 0x00, 0x09], // a disk, page 0x83, 9 bytes follow
  [0x02, 0x00, 0x00, 0x05], // ASCII; logical unit, type 0; reserved; 5 bytes
  [0x70, 0x76, 0x63, 0x2d, 0x31], // "pvc-1"
);

test("a page with one vendor-specific ASCII designator gives that designator", () => {
  assert.deepEqual(parseDeviceIdentificationPage(DO_PAGE), {
    designators: [{ codeSet: 2, association: 0, type: 0, value: Buffer.from("pvc-1") }],
  });
});

test("every descriptor of the page is read, whatever its type, association and code set", () => {
  const page = bytes(
    [0x00, 0x83, 0x00, 0x11], // 17 bytes follow
    [0x01, 0x03, 0x00, 0x08], // binary; logical unit, NAA; 8 bytes
    [0x60, 0x01, 0x40, 0x5f, 0x00, 0x00, 0x00, 0x01],
    [0x02, 0x10, 0x00, 0x01], // ASCII; target port, vendor specific; 1 byte
    [0x41], // "A"
  );
  assert.deepEqual(parseDeviceIdentificationPage(page), {
    designators: [
      { codeSet: 1, association: 0, type: 3, value: Buffer.from([0x60, 0x01, 0x40, 0x5f, 0, 0, 0, 1]) },
      { codeSet: 2, association: 1, type: 0, value: Buffer.from("A") },
    ],
  });
});

test("the test builder lays a page out byte for byte as the SPC layout does", () => {
  assert.deepEqual(vpdPage83([{ codeSet: 2, type: 0, value: "pvc-1" }]), DO_PAGE);
});

test("a page with no descriptors gives none", () => {
  assert.deepEqual(parseDeviceIdentificationPage(Buffer.from([0x00, 0x83, 0x00, 0x00])), { designators: [] });
});

test("fewer bytes than the page header is a problem naming how many were read", () => {
  assert.deepEqual(parseDeviceIdentificationPage(Buffer.from([0x00, 0x83])), {
    problem: "2 bytes read, fewer than the 4-byte page header",
  });
});

test("another page code is a problem naming it", () => {
  assert.deepEqual(parseDeviceIdentificationPage(Buffer.from([0x00, 0x80, 0x00, 0x00])), {
    problem: "page code is 0x80, not 0x83",
  });
});

test("a page cut short of its declared length is a problem naming both lengths", () => {
  assert.deepEqual(parseDeviceIdentificationPage(DO_PAGE.subarray(0, 11)), {
    problem: "the page declares 9 bytes after its header but only 7 were read",
  });
});

test("a descriptor running past the end of the page is a problem naming where it starts", () => {
  const page = bytes([0x00, 0x83, 0x00, 0x06], [0x02, 0x00, 0x00, 0x05], [0x70, 0x76]);
  assert.deepEqual(parseDeviceIdentificationPage(page), {
    problem: "the descriptor at byte 4 declares 5 bytes but the page has 2 left",
  });
});

test("a descriptor header cut by the end of the page is a problem", () => {
  const page = bytes([0x00, 0x83, 0x00, 0x07], [0x02, 0x00, 0x00, 0x00], [0x02, 0x00, 0x00]);
  assert.deepEqual(parseDeviceIdentificationPage(page), {
    problem: "the descriptor at byte 8 has 3 of its 4 header bytes within the page",
  });
});

test("a pre-SPC-2 page (non-zero byte 6) is a problem, not descriptors", () => {
  // SCSI-2 layout: the identifier straight after the header (an EMC-style WWN).
  const page = bytes([0x00, 0x83, 0x00, 0x04], [0x60, 0x06, 0x04, 0x80]);
  assert.deepEqual(parseDeviceIdentificationPage(page), {
    problem: "byte 6 is not zero, so the page is in the pre-SPC-2 layout, which has no descriptors",
  });
});

test("only the logical unit's vendor-specific ASCII designators count as text, padding trimmed", () => {
  const parsed = parseDeviceIdentificationPage(
    vpdPage83([
      { codeSet: 2, type: 0, value: "pvc-1  \0" },
      { codeSet: 1, type: 0, value: "pvc-2" },
      { codeSet: 2, type: 0, association: 1, value: "pvc-3" },
      { codeSet: 2, type: 1, value: "pvc-4" },
    ]),
  );
  assert.ok("designators" in parsed);
  assert.deepEqual(vendorSpecificTexts(parsed.designators), ["pvc-1"]);
});

const EXPECTED = { vendor: "DO", model: "Volume", designator: "pvc-1" };
const VOLUME = "0d6c5d5c-5d84-4a3b-9a55-5c8a6c0c3e11";

test("a disk reporting the expected vendor, model and designator is proven", () => {
  const page = parseDeviceIdentificationPage(DO_PAGE);
  assert.equal(
    scsiProof("/dev/sdb", VOLUME, { vendor: "DO", model: "Volume", page }, EXPECTED, ""),
    undefined,
  );
});

test("without an expected identity the disk is refused with the given reason", () => {
  const page = parseDeviceIdentificationPage(DO_PAGE);
  assert.equal(
    scsiProof("/dev/sdb", VOLUME, { vendor: "DO", model: "Volume", page }, undefined, "nobody knows"),
    '/dev/sdb is a SCSI disk (vendor "DO", model "Volume") and nobody knows',
  );
});

test("a disk without page 0x83 is refused", () => {
  assert.equal(
    scsiProof("/dev/sdb", VOLUME, { vendor: "DO", model: "Volume", page: undefined }, EXPECTED, ""),
    `/dev/sdb is a SCSI disk (vendor "DO", model "Volume") with no VPD page 0x83 to identify it; volume ${VOLUME} is vendor "DO", model "Volume", designator "pvc-1"`,
  );
});
