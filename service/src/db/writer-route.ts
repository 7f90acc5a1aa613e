import { lookup as dnsLookup } from 'node:dns/promises';
import type { ShardConfig } from '../config.js';

/** Every address a name resolves to, through its CNAME chain (the resolver the tasks use). */
export type Lookup = (host: string) => Promise<string[]>;

export const systemLookup: Lookup = async (host) =>
  (await dnsLookup(host, { all: true })).map((entry) => entry.address);

/**
 * Where a shard's writes go now, so that a global switchover or failover needs no deploy
 * (decision 14). Aurora keeps the global writer endpoint pointed at the writer instance of the
 * current primary cluster. The tasks never connect to it: IAM tokens and TLS names are only
 * documented for a cluster's own endpoints, and another region's private addresses are not
 * reachable from this VPC. Instead:
 *
 * - the global writer endpoint resolves to an address of this region's cluster endpoint: this
 *   region holds the writer, write to `clusterHost`;
 * - it resolves elsewhere (or this cluster's endpoint does not resolve, as on a secondary): write
 *   through `readerHost`, which forwards writes to the primary (global write forwarding);
 * - the global name does not resolve, or the map has no discovery names: `writerHost`, the
 *   template's choice for the configured roles.
 */
export async function writerHostFor(shard: ShardConfig, lookup: Lookup = systemLookup): Promise<string> {
  const { globalWriterHost, clusterHost } = shard;
  if (!globalWriterHost || !clusterHost) return shard.writerHost;
  let writerAddresses: string[];
  try {
    writerAddresses = await lookup(globalWriterHost);
  } catch {
    return shard.writerHost;
  }
  let ownAddresses: string[];
  try {
    ownAddresses = await lookup(clusterHost);
  } catch {
    return shard.readerHost;
  }
  return writerAddresses.some((address) => ownAddresses.includes(address)) ? clusterHost : shard.readerHost;
}
