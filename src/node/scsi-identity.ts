/**
 * What a SCSI disk says about itself, and whether that is a given volume's: the INQUIRY vendor
 * and model and the designators of VPD page 0x83 (Device Identification, SPC-3 7.6.3), which the
 * kernel shows in sysfs and from which udev's scsi_id names the `scsi-<type><id>` by-id link.
 */

/** The identity a provider's cloud gives a volume's disk (see `DeviceLocator.scsiIdentity`). */
export interface ScsiIdentity {
  vendor: string;
  model: string;
  /** The text of the disk's vendor-specific (type 0) designator. */
  designator: string;
}

/** One designation descriptor of VPD page 0x83. */
export interface ScsiDesignator {
  /** 1 binary, 2 ASCII, 3 UTF-8. */
  codeSet: number;
  /** 0 the logical unit, 1 the target port, 2 the target device. */
  association: number;
  /** 0 vendor specific, 1 T10 vendor id, 2 EUI-64, 3 NAA, … */
  type: number;
  value: Buffer;
}

/** A parsed page, or why the bytes are not one; a bad page never half-answers. */
export type DeviceIdentificationPage = { designators: ScsiDesignator[] } | { problem: string };

/** What sysfs shows of a SCSI disk: INQUIRY vendor and model (padding trimmed) and page 0x83. */
export interface ScsiDiskReport {
  vendor: string;
  model: string;
  /** Undefined when the disk has no page 0x83 (the kernel shows no `vpd_pg83`). */
  page: DeviceIdentificationPage | undefined;
}

const PAGE_CODE = 0x83;
const HEADER_BYTES = 4;
const DESCRIPTOR_HEADER_BYTES = 4;
const CODE_SET_ASCII = 2;
const TYPE_VENDOR_SPECIFIC = 0;
const ASSOCIATION_LOGICAL_UNIT = 0;

/**
 * Parses VPD page 0x83: a 4-byte header (peripheral byte, page code, page length big-endian),
 * then descriptors of a 4-byte header (protocol | code set, PIV | association | type, reserved,
 * length) and `length` designator bytes. A page cut short, a descriptor running past the page,
 * another page code, or the pre-SPC-2 layout (which scsi_id recognises by a non-zero byte 6) is
 * a problem naming what was read.
 */
export function parseDeviceIdentificationPage(bytes: Buffer): DeviceIdentificationPage {
  if (bytes.length < HEADER_BYTES) {
    return { problem: `${bytes.length} bytes read, fewer than the ${HEADER_BYTES}-byte page header` };
  }
  if (bytes[1] !== PAGE_CODE) {
    return { problem: `page code is ${hexByte(bytes[1] ?? 0)}, not 0x83` };
  }
  const pageLength = bytes.readUInt16BE(2);
  if (HEADER_BYTES + pageLength > bytes.length) {
    return {
      problem: `the page declares ${pageLength} bytes after its header but only ${bytes.length - HEADER_BYTES} were read`,
    };
  }
  const end = HEADER_BYTES + pageLength;
  if (pageLength >= DESCRIPTOR_HEADER_BYTES && bytes[6] !== 0) {
    return {
      problem: "byte 6 is not zero, so the page is in the pre-SPC-2 layout, which has no descriptors",
    };
  }
  const designators: ScsiDesignator[] = [];
  for (let offset = HEADER_BYTES; offset < end; ) {
    if (offset + DESCRIPTOR_HEADER_BYTES > end) {
      return {
        problem: `the descriptor at byte ${offset} has ${end - offset} of its ${DESCRIPTOR_HEADER_BYTES} header bytes within the page`,
      };
    }
    const length = bytes[offset + 3] ?? 0;
    const valueStart = offset + DESCRIPTOR_HEADER_BYTES;
    if (valueStart + length > end) {
      return {
        problem: `the descriptor at byte ${offset} declares ${length} bytes but the page has ${end - valueStart} left`,
      };
    }
    const first = bytes[offset] ?? 0;
    const second = bytes[offset + 1] ?? 0;
    designators.push({
      codeSet: first & 0x0f,
      association: (second >> 4) & 0x03,
      type: second & 0x0f,
      value: Buffer.from(bytes.subarray(valueStart, valueStart + length)),
    });
    offset = valueStart + length;
  }
  return { designators };
}

/**
 * The text of the logical unit's vendor-specific ASCII designators, as scsi_id takes them for a
 * `scsi-0<vendor><model><text>` link: trailing spaces and NULs (padding) are not part of it.
 */
export function vendorSpecificTexts(designators: ScsiDesignator[]): string[] {
  return designators
    .filter(
      (d) =>
        d.type === TYPE_VENDOR_SPECIFIC &&
        d.codeSet === CODE_SET_ASCII &&
        d.association === ASSOCIATION_LOGICAL_UNIT,
    )
    .map((d) => d.value.toString("latin1").replace(/[\s\0]+$/, ""));
}

/**
 * Undefined when the disk is the volume's: its vendor and model are the expected ones and one of
 * its vendor-specific designators is the expected text. Otherwise why not, naming what the disk
 * reports and what was expected. `expected` is undefined when nothing tells the volume's identity.
 */
export function scsiProof(
  name: string,
  volumeId: string,
  report: ScsiDiskReport,
  expected: ScsiIdentity | undefined,
  unknownWhy: string,
): string | undefined {
  const disk = `${name} is a SCSI disk (vendor ${JSON.stringify(report.vendor)}, model ${JSON.stringify(report.model)})`;
  if (expected === undefined) return `${disk} and ${unknownWhy}`;
  const wanted = `volume ${volumeId} is vendor ${JSON.stringify(expected.vendor)}, model ${JSON.stringify(expected.model)}, designator ${JSON.stringify(expected.designator)}`;
  if (report.page === undefined) return `${disk} with no VPD page 0x83 to identify it; ${wanted}`;
  if ("problem" in report.page)
    return `${disk} whose VPD page 0x83 is malformed (${report.page.problem}); ${wanted}`;
  const texts = vendorSpecificTexts(report.page.designators);
  if (
    report.vendor === expected.vendor &&
    report.model === expected.model &&
    texts.includes(expected.designator)
  )
    return undefined;
  const reported =
    texts.length === 0
      ? "no vendor-specific ASCII designator"
      : `vendor-specific designator${texts.length === 1 ? "" : "s"} ${texts.map((text) => JSON.stringify(text)).join(", ")}`;
  return `${disk} with ${reported}; ${wanted}`;
}

function hexByte(value: number): string {
  return `0x${value.toString(16).padStart(2, "0")}`;
}
