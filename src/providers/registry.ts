import { invalidArgument } from "../shared/errors.js";
import { PROVIDER_NAMES, type Provider, type ProviderName } from "./provider.js";

/**
 * One loader per provider, each an `import()` of that provider's module alone, so a process
 * carries only its own cloud's code.
 */
const LOADERS: Record<ProviderName, () => Promise<Provider>> = {
  ballast: async () => (await import("./ballast/index.js")).ballastProvider,
  digitalocean: async () => (await import("./digitalocean/index.js")).digitalOceanProvider,
  hetzner: async () => (await import("./hetzner/index.js")).hetznerProvider,
};

/** The `--cloud-provider` value as a provider's name; anything else is InvalidArgument naming the value and the choices. */
export function parseProviderName(flag: string, value: string): ProviderName {
  const name = PROVIDER_NAMES.find((known) => known === value);
  if (name === undefined) {
    throw invalidArgument(`${flag}: "${value}" is not a provider (${PROVIDER_NAMES.join(", ")})`);
  }
  return name;
}

/** Loads one provider's module, and only that one. */
export function loadProvider(name: ProviderName): Promise<Provider> {
  return LOADERS[name]();
}
