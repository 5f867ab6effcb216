import type { ResolvedConfig, VolumeType } from "../config.js";
import { problem } from "../problems.js";
import type { Schemas } from "./engine-types.js";

/** The zones and volume types the configuration offers, and the lookups that name what is known. */
export class Catalog {
  constructor(private readonly config: ResolvedConfig) {}

  listZones(): { items: Schemas["Zone"][] } {
    return { items: this.config.zones };
  }

  listVolumeTypes(): { items: VolumeType[] } {
    return { items: this.config.volumeTypes };
  }

  /** A zone by name; `invalid_argument` lookups are for new volumes, which an unavailable zone refuses. */
  zone(name: string, field: string, code: "invalid_argument" | "not_found"): string {
    const zone = this.config.zones.find((z) => z.name === name);
    if (zone === undefined) {
      const known = this.config.zones.map((z) => z.name).join(", ");
      throw problem(code, `${field}: ${JSON.stringify(name)} is not a zone (zones: ${known})`);
    }
    if (zone.status !== "available" && code === "invalid_argument") {
      throw problem("insufficient_capacity", `${field}: zone ${name} is unavailable for new volumes`);
    }
    return zone.name;
  }

  volumeType(name: string, field: string, code: "invalid_argument" | "not_found" | "internal"): VolumeType {
    const type = this.config.volumeTypes.find((t) => t.name === name);
    if (type === undefined) {
      const known = this.config.volumeTypes.map((t) => t.name).join(", ");
      throw problem(code, `${field}: ${JSON.stringify(name)} is not a volume type (types: ${known})`);
    }
    return type;
  }
}
