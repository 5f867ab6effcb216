/** A designation descriptor of VPD page 0x83, as a test describes it. */
export interface DescriptorSpec {
  /** 1 binary, 2 ASCII, 3 UTF-8. */
  codeSet: number;
  /** 0 the logical unit (default), 1 the target port, 2 the target device. */
  association?: number;
  /** 0 vendor specific, 3 NAA, … */
  type: number;
  value: Buffer | string;
}

/**
 * VPD page 0x83 laid out as SPC-3 7.6.3 says: peripheral byte 0 (a disk), page code 0x83, page
 * length big-endian, then per descriptor protocol | code set, association | type, a reserved
 * byte, the length, and the value.
 */
export function vpdPage83(descriptors: DescriptorSpec[]): Buffer {
  const bodies = descriptors.map((d) => {
    const value = typeof d.value === "string" ? Buffer.from(d.value, "latin1") : d.value;
    return Buffer.concat([
      Buffer.from([d.codeSet & 0x0f, ((d.association ?? 0) << 4) | (d.type & 0x0f), 0, value.length]),
      value,
    ]);
  });
  const body = Buffer.concat(bodies);
  const header = Buffer.from([0x00, 0x83, 0, 0]);
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

/** The page a DigitalOcean or Hetzner disk shows: one vendor-specific ASCII designator. */
export function vendorSpecificPage(text: string): Buffer {
  return vpdPage83([{ codeSet: 2, type: 0, value: text }]);
}
