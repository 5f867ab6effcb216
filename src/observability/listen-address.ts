import { isIP } from "node:net";
import { invalidArgument } from "../shared/errors.js";

export interface ListenAddress {
  /** IPv4 address, IPv6 address without brackets, or host name. */
  host: string;
  /** 0 asks the kernel for an ephemeral port. */
  port: number;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Parses a listen address flag value: `host:port`, `[ipv6]:port`, or `:port` for every IPv4
 * interface (as Go programs and the CSI sidecars read it). Throws InvalidArgument naming the flag
 * and the value.
 */
export function parseListenAddress(value: string, flag = "--metrics-address"): ListenAddress {
  const fail = (why: string) => invalidArgument(`${flag}: ${JSON.stringify(value)} ${why}`);
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(value);
  let host: string;
  let portText: string;
  if (bracketed !== null) {
    host = bracketed[1] ?? "";
    portText = bracketed[2] ?? "";
    if (isIP(host) !== 6) throw fail(`has ${JSON.stringify(host)} in brackets, which is not an IPv6 address`);
  } else {
    const colon = value.lastIndexOf(":");
    if (colon < 0) throw fail("is not host:port");
    host = value.slice(0, colon);
    portText = value.slice(colon + 1);
    if (host.includes(":")) throw fail("has an IPv6 address without brackets; write [address]:port");
    if (host === "") host = "0.0.0.0";
    else if (isIP(host) !== 4 && !HOSTNAME.test(host)) throw fail(`has ${JSON.stringify(host)}, not a host`);
  }
  if (!/^\d{1,5}$/.test(portText)) throw fail(`has port ${JSON.stringify(portText)}, not a number`);
  const port = Number(portText);
  if (port > 65535) throw fail(`has port ${port}, above 65535`);
  return { host, port };
}

/** `host:port`, with brackets around an IPv6 host, as a URL authority. */
export function formatListenAddress(address: ListenAddress): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
