/** The filesystem mkfs made on a fake disk: what blkid, dumpe2fs and xfs_info report. */
export interface FakeFilesystem {
  type: "ext4" | "xfs";
  uuid: string;
  sizeBytes: bigint;
  /** e2fsck -f has run since the last change; resize2fs of an unmounted ext4 insists on it. */
  checked: boolean;
  /**
   * Mounted since mkfs made it, as the kernel leaves its mark: ext4 at a read-write mount (last
   * mount time), xfs at any mount (its superblock's log sequence number).
   */
  mountedSinceMkfs: boolean;
}

/** A signature that is not a mountable filesystem of ours (a partition table, an LVM label). */
export interface FakeSignature {
  type: string;
  usage: "filesystem" | "partition_table" | "raid" | "other";
  offset: bigint;
}

/** Where each filesystem keeps its magic, as wipefs reports it. */
export const SIGNATURE_OFFSET: Record<FakeFilesystem["type"], bigint> = { ext4: 0x438n, xfs: 0n };

export const FS_BLOCK_BYTES = 4096n;

/**
 * A disk's content, apart from where it is attached: the cloud can detach it and attach it again
 * as another device, and what is on it stays. Bytes are sparse (zero where nothing was written),
 * so a 1 GiB disk costs only what was written to it.
 */
export class FakeDisk {
  filesystem: FakeFilesystem | undefined;
  signatures: FakeSignature[] = [];
  /** When set, every read of the device fails with EIO carrying this text. */
  readError: string | undefined;
  private readonly chunks = new Map<bigint, Buffer>();

  constructor(public sizeBytes: bigint) {}

  write(offset: bigint, bytes: Buffer): void {
    this.chunks.set(offset, Buffer.from(bytes));
  }

  read(offset: bigint, length: number): Buffer {
    const available = this.sizeBytes - offset;
    const size = available <= 0n ? 0 : Number(available < BigInt(length) ? available : BigInt(length));
    const out = Buffer.alloc(size);
    for (const [start, bytes] of this.chunks) {
      const from = start > offset ? start : offset;
      const end = start + BigInt(bytes.length);
      const to = end < offset + BigInt(size) ? end : offset + BigInt(size);
      if (from < to) bytes.copy(out, Number(from - offset), Number(from - start), Number(to - start));
    }
    return out;
  }

  /** What mkfs leaves: one filesystem spanning the disk, and no other signature. */
  makeFilesystem(type: FakeFilesystem["type"], uuid: string): void {
    const sizeBytes = (this.sizeBytes / FS_BLOCK_BYTES) * FS_BLOCK_BYTES;
    this.filesystem = { type, uuid, sizeBytes, checked: true, mountedSinceMkfs: false };
    this.signatures = [];
  }

  /** Every signature blkid and wipefs would see, the filesystem's first. */
  allSignatures(): Array<FakeSignature & { uuid?: string }> {
    const own = this.filesystem
      ? [
          {
            type: this.filesystem.type,
            usage: "filesystem" as const,
            offset: SIGNATURE_OFFSET[this.filesystem.type],
            uuid: this.filesystem.uuid,
          },
        ]
      : [];
    return [...own, ...this.signatures];
  }
}
