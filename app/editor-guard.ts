/**
 * The editor locked to its address. Node-RED's admin API checks neither the Host a request names nor
 * where it comes from (no CSRF handling, CORS open to any origin, URL-encoded bodies accepted, the
 * editor's websocket taken from any page), so a web page could deploy a flow: by DNS rebinding (its own
 * name resolved to 127.0.0.1, the browser then treats the editor as that page's origin) or by a
 * cross-site request. Every request and websocket upgrade on the editor's server passes here first
 * (admin API, editor, the panel, the flows' own HTTP endpoints, anything a node attaches to the server later):
 *
 * - Host must be one of the editor's names: loopback (localhost, 127.0.0.1, [::1]) at PORT, plus, when
 *   the editor listens beyond loopback (HOST, with a login), that address and CELLRIG_HOSTNAMES (and,
 *   when HOST is a wildcard, this machine's own names and addresses). Anything else: 403.
 * - An Origin, when a browser sends one, must name one of them too (so no other page can read the admin
 *   API through Node-RED's open CORS, or open its websocket). `Origin: null` is refused.
 * - A POST with neither Origin nor Referer (no browser of this decade sends one so; a form on another
 *   site of an older one might) must be JSON or carry Node-RED's own `Node-RED-API-Version` header, as
 *   the editor's requests do: a form can send neither. Other changing methods cannot come from a form,
 *   and a cross-site script's PUT or DELETE always carries an Origin.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);
/** Bodies an HTML form can send (and a missing type): what a cross-site form's POST looks like. */
const FORM_TYPES = new Set(['', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/** Names the editor answers to: host names (lower case, IPv6 in brackets), with a port or any port. */
export type AllowedHosts = {
  port: number;
  names: Set<string>;
  namesWithPort: Set<string>;
  /** What to do about a refused Host, for the 403's text. */
  hint: string;
};

export function allowedHosts(opts: {
  host: string;
  port: number;
  hostnames: string[];
  login: boolean;
}): AllowedHosts {
  const names = new Set<string>(LOOPBACK_NAMES);
  const namesWithPort = new Set<string>();
  const add = (raw: string) => {
    const entry = normalise(raw);
    if (!entry) return;
    if (entry.port === undefined) names.add(entry.name);
    else namesWithPort.add(`${entry.name}:${entry.port}`);
  };
  // Beyond loopback only with a login (app/env.ts refuses the rest); then the configured names too.
  const host = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  const beyond = opts.login && !names.has(normalise(host)?.name ?? '');
  if (beyond) {
    if (WILDCARDS.has(opts.host)) for (const n of machineNames()) add(n);
    else add(host);
    for (const n of opts.hostnames) add(n);
  }
  const hint = beyond
    ? 'a name the editor is reached by belongs in CELLRIG_HOSTNAMES'
    : `open the editor as http://127.0.0.1:${opts.port}/ or http://localhost:${opts.port}/`;
  return { port: opts.port, names, namesWithPort, hint };
}

/**
 * Whether a Host header (or an Origin's host part) names the editor. Without a port, the request came on
 * one of `defaultPorts` (a Host header does not say whether http or https: either).
 */
export function hostAllowed(
  host: string | undefined,
  allowed: AllowedHosts,
  defaultPorts: number[] = [80, 443],
): boolean {
  const h = host === undefined ? undefined : normalise(host);
  if (!h) return false;
  return (h.port === undefined ? defaultPorts : [h.port]).some(
    (port) =>
      allowed.namesWithPort.has(`${h.name}:${port}`) || (allowed.names.has(h.name) && port === allowed.port),
  );
}

/** Whether an Origin or Referer URL is one of the editor's own pages. */
export function originAllowed(origin: string, allowed: AllowedHosts): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes Origin: null
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return hostAllowed(url.host, allowed, [url.protocol === 'https:' ? 443 : 80]);
}

/** Why a request is refused, or undefined when it may pass. */
export function refusal(
  req: Pick<IncomingMessage, 'headers' | 'method'>,
  allowed: AllowedHosts,
): string | undefined {
  const host = req.headers.host;
  if (!hostAllowed(host, allowed))
    return `Host '${host ?? ''}' is not this editor's address (DNS rebinding?); ${allowed.hint}`;
  const origin = req.headers.origin;
  if (origin !== undefined && !originAllowed(origin, allowed))
    return `Origin '${origin}' is not this editor (cross-site request)`;
  if (origin === undefined && req.method === 'POST') {
    const referer = req.headers.referer;
    if (referer !== undefined) {
      if (!originAllowed(referer, allowed)) return 'Referer is not this editor (cross-site request)';
    } else if (
      req.headers['node-red-api-version'] === undefined &&
      FORM_TYPES.has(mediaType(req.headers['content-type']))
    )
      return 'a POST without Origin or Referer must be JSON or carry the Node-RED-API-Version header';
  }
  return undefined;
}

/**
 * Puts the checks in front of every 'request' and 'upgrade' the server emits, whoever listens to them
 * (express, Node-RED's websocket, a dashboard's socket.io that takes over 'request'): a refused request
 * gets 403 with the reason and never reaches a listener.
 */
export function guardServer(server: Server, allowed: () => AllowedHosts): void {
  const emit = server.emit.bind(server);
  server.emit = ((event: string, ...args: unknown[]) => {
    if (event === 'request') {
      const [req, res] = args as [IncomingMessage, ServerResponse];
      const why = refusal(req, allowed());
      if (why !== undefined) {
        req.resume();
        res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
        res.end(`Forbidden: ${why}\n`);
        return true;
      }
    } else if (event === 'upgrade') {
      const [req, socket] = args as [IncomingMessage, Duplex];
      const why = refusal(req, allowed());
      if (why !== undefined) {
        const body = `Forbidden: ${why}\n`;
        socket.end(
          `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
        return true;
      }
    }
    return emit(event, ...args);
  }) as typeof server.emit;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A host (optionally with a port) in one form: lower case, no trailing dot, IPv6 in brackets. */
function normalise(raw: string): { name: string; port?: number } | undefined {
  const text = raw.trim().toLowerCase();
  if (text === '' || /[\s/@?#]/.test(text)) return undefined;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const name = m[1]!.replace(/\.$/, '');
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65_535)) return undefined;
  return { name, port };
}

/** This machine's names and interface addresses (for HOST=0.0.0.0 or ::). */
function machineNames(): string[] {
  const own = hostname();
  const names = [own, `${own}.local`];
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) names.push(a.family === 'IPv6' ? `[${a.address.split('%')[0]}]` : a.address);
  return names;
}
