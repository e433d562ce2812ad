import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { realpath } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { MediaFetchFailure, type ResolvedFetchPolicy, readBounded } from '../fetch-policy.js';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
// Not public: private, link-local (cloud metadata at 169.254.169.254), shared CGNAT, "this
// network", multicast and reserved ranges, unique-local and link-local IPv6.
const nonPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  nonPublic.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  nonPublic.addSubnet(network, prefix, 'ipv6');

/** Why an address may not be fetched under the policy, or undefined when it may. */
export function refusedAddress(address: string, policy: ResolvedFetchPolicy): string | undefined {
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (loopback.check(ip, family))
    return policy.allowLoopback ? undefined : `${address} is a loopback address (allowLoopback is off)`;
  if (nonPublic.check(ip, family))
    return policy.allowPrivate
      ? undefined
      : `${address} is a private or reserved address (allowPrivate is off)`;
  return undefined;
}

// One connection pool per policy; its DNS lookup refuses addresses the policy does not allow,
// at connect time, so a name that resolves to a private address (DNS rebinding) is refused too.
const agents = new WeakMap<ResolvedFetchPolicy, Agent>();
function agentFor(policy: ResolvedFetchPolicy): Agent {
  let agent = agents.get(policy);
  if (!agent) {
    agent = new Agent({
      connect: {
        lookup(hostname, options, callback) {
          dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
            if (error) return callback(error, '', 0);
            const refused = addresses.map((entry) => refusedAddress(entry.address, policy)).find(Boolean);
            if (refused) {
              return callback(
                Object.assign(new Error(`${hostname} resolves to ${refused}`), {
                  code: 'EREFUSED_BY_POLICY',
                }),
                '',
                0,
              );
            }
            if ((options as { all?: boolean }).all)
              return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
            return callback(null, addresses[0]!.address, addresses[0]!.family);
          });
        },
      },
    });
    agents.set(policy, agent);
  }
  return agent;
}

function describeNetworkError(error: unknown): string {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  const code = (cause as NodeJS.ErrnoException)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (code === 'EREFUSED_BY_POLICY') return message;
  if (code === 'ECONNREFUSED') return 'the connection was refused (nothing listens there)';
  if (code === 'ENOTFOUND') return 'the host name does not resolve';
  return code ? `${message} (${code})` : message;
}

/**
 * Fetches an http(s) URL under the policy: its prefixes and hosts, a bounded number of redirects
 * (each one checked again), a status check, a timeout over the whole fetch, and a byte cap applied
 * while the body streams in.
 * @throws {MediaFetchFailure} saying why (the loader turns it into a typed decode error)
 */
export async function fetchMedia(
  url: string,
  policy: ResolvedFetchPolicy,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let current = url;
  for (let redirects = 0; ; redirects++) {
    let parsed: URL;
    try {
      parsed = new URL(current);
    } catch {
      throw new MediaFetchFailure(current, 'it is not a valid URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new MediaFetchFailure(current, `only http(s) URLs are fetched, not ${parsed.protocol}`);
    if (policy.urlPrefixes && !policy.urlPrefixes.some((prefix) => current.startsWith(prefix)))
      throw new MediaFetchFailure(
        current,
        `it does not start with an allowed prefix (${policy.urlPrefixes.join(', ')})`,
      );
    // Names are judged by what they resolve to, when the connection is made (agentFor's lookup).
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      const refused = refusedAddress(host, policy);
      if (refused) throw new MediaFetchFailure(current, refused);
    }
    let response: Awaited<ReturnType<typeof fetch>>;
    try {
      response = await fetch(current, { dispatcher: agentFor(policy), redirect: 'manual', signal: combined });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted)
        throw new MediaFetchFailure(current, `no complete answer within ${policy.timeoutMs} ms`, {
          cause: error,
        });
      throw new MediaFetchFailure(current, describeNetworkError(error), { cause: error });
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      if (redirects >= policy.maxRedirects)
        throw new MediaFetchFailure(
          url,
          `more than ${policy.maxRedirects} redirects (the last to ${location})`,
        );
      current = new URL(location, current).href;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new MediaFetchFailure(
        current,
        `the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
      );
    }
    try {
      return await readBounded(response as unknown as Response, current, policy.maxBytes);
    } catch (error) {
      if (error instanceof MediaFetchFailure) throw error;
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted)
        throw new MediaFetchFailure(current, `no complete answer within ${policy.timeoutMs} ms`, {
          cause: error,
        });
      throw new MediaFetchFailure(current, describeNetworkError(error), { cause: error });
    }
  }
}

/**
 * The path of a local media file (a path or a `file:` URL), when the policy allows it: inside one
 * of `fileRoots` (links followed), or anywhere when no roots are set.
 * @throws {MediaFetchFailure} for a file outside the roots
 */
export async function allowedFile(source: string, policy: ResolvedFetchPolicy): Promise<string> {
  const path = source.startsWith('file:') ? fileURLToPath(source) : source;
  if (policy.fileRoots === undefined) return path;
  const real = await realpath(path).catch(() => resolve(path));
  for (const root of policy.fileRoots) {
    const base = await realpath(root).catch(() => resolve(root));
    const rel = relative(base, real);
    if (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)) return path;
  }
  throw new MediaFetchFailure(
    source,
    policy.fileRoots.length === 0
      ? 'local files are not allowed here'
      : `it is outside the allowed folders (${policy.fileRoots.join(', ')})`,
  );
}
