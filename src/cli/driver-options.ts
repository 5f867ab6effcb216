import { type Command, Option } from "commander";
import { PROVIDER_NAMES } from "../providers/provider.js";

export const DEFAULT_DRIVER_NAME = "block.csi.ballast.dev";
export const DEFAULT_ENDPOINT = "unix:///tmp/ballast/csi.sock";

/** `--cloud-url` → `BALLAST_CLOUD_URL`, the convention in docs/architecture.md. */
export function envName(flag: string): string {
  return `BALLAST_${flag.replace(/^--/, "").replace(/-/g, "_").toUpperCase()}`;
}

function option(flags: string, description: string): Option {
  const long = flags.split(/[ ,]+/).find((part) => part.startsWith("--")) ?? flags;
  return new Option(flags, description).env(envName(long));
}

export type DriverMode = "controller" | "node" | "all";

/**
 * The flags every driver mode shares, plus the node-only ones in node/all. Every flag falls back
 * to BALLAST_<FLAG>; --endpoint also honours CSI_ENDPOINT and --node-name NODE_NAME (resolved in
 * driver-config, since commander reads one variable per option).
 */
export function addDriverOptions(command: Command, mode: DriverMode): Command {
  command
    .addOption(
      option(
        "--endpoint <url>",
        `CSI endpoint, unix:///path/csi.sock or tcp://host:port (also CSI_ENDPOINT) (default: "${DEFAULT_ENDPOINT}")`,
      ),
    )
    .addOption(option("--driver-name <name>", "CSI driver name").default(DEFAULT_DRIVER_NAME))
    .addOption(
      option("--cloud-provider <name>", `the cloud to drive (${PROVIDER_NAMES.join(", ")})`).default(
        "ballast",
      ),
    )
    .addOption(option("--cloud-url <url>", "block-storage API base URL (http or https)"))
    .addOption(
      option("--cloud-token-file <path>", "file holding the API bearer token, re-read when it changes"),
    )
    .addOption(option("--cloud-ca-file <path>", "PEM bundle of CAs trusted for the API's TLS"))
    .addOption(
      option(
        "--cloud-qps <n>",
        "API requests per second (client-side rate limit; default: the provider's, under its account limits)",
      ),
    )
    .addOption(option("--cloud-burst <n>", "API request burst above --cloud-qps (default: the provider's)"))
    .addOption(
      option(
        "--zone <zone>",
        mode === "controller"
          ? "zone for volumes without topology requirements (default: on digitalocean and hetzner, the zone of the machine the controller runs on, from the metadata service)"
          : "zone (default: the cloud's for this instance)",
      ),
    )
    .addOption(
      option(
        "--metadata-url <url>",
        mode === "controller"
          ? "base URL of the provider's metadata service, asked for the default zone (default: the provider's own address)"
          : "base URL of the provider's metadata service (default: the provider's own address)",
      ),
    )
    .addOption(
      option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent").default("info"),
    )
    .addOption(
      option("--metrics-address <host:port>", "serve /metrics, /healthz and /readyz here (off unless set)"),
    )
    .addOption(
      option("--drain-timeout <seconds>", "on SIGTERM, how long in-flight RPCs may finish").default("30"),
    );
  if (mode !== "node") {
    command.addOption(
      option("--default-volume-type <type>", "tier for StorageClasses without a type").default("balanced"),
    );
  }
  if (mode !== "controller") {
    command
      .addOption(
        option(
          "--node-id <id>",
          "instance id of this node (default: from the provider's metadata service, or looked up by --node-name)",
        ),
      )
      .addOption(
        option("--node-name <name>", "this node's name in the cloud (also NODE_NAME; default: hostname)"),
      )
      .addOption(option("--by-id-dir <dir>", "where device links appear").default("/dev/disk/by-id"))
      .addOption(
        option("--state-dir <dir>", "host directory that outlives the plugin (journal of formats)").default(
          "/var/lib/ballast-csi",
        ),
      )
      .addOption(
        option(
          "--max-volumes-per-node <n>",
          "attach limit to report (default: the cloud's, minus foreign volumes)",
        ),
      )
      .addOption(
        option("--device-wait <seconds>", "how long staging waits for a device to appear").default("30"),
      )
      .addOption(
        option(
          "--report-standard-zone-key <true|false>",
          "also report the zone as topology.kubernetes.io/zone; turn off when the nodes' own label of that key differs from the cloud's zone name (the kubelet refuses to register a driver whose value collides)",
        ).default("true"),
      );
  }
  return command;
}

/** Raw option values as commander hands them over (strings, undefined when unset). */
export interface RawDriverOptions {
  endpoint?: string;
  driverName: string;
  cloudProvider?: string;
  cloudUrl?: string;
  cloudTokenFile?: string;
  cloudCaFile?: string;
  cloudQps?: string;
  cloudBurst?: string;
  zone?: string;
  defaultVolumeType?: string;
  logLevel: string;
  metricsAddress?: string;
  drainTimeout: string;
  nodeId?: string;
  metadataUrl?: string;
  nodeName?: string;
  byIdDir?: string;
  stateDir?: string;
  maxVolumesPerNode?: string;
  deviceWait?: string;
  reportStandardZoneKey?: string;
}
