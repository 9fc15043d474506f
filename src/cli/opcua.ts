/**
 * `plantwire opcua browse <url>`: one level of a server's address space in
 * the terminal (or as JSON), with the same connector, security settings and
 * trust store as the Node-RED nodes.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { browseChildren, endpointSettings, OpcUaConnection, pkiDirFor, type BrowseItem } from '../connectors/opcua';
import { PlantwireError } from '../model/errors';

export const OPCUA_HELP = `plantwire opcua browse <opc.tcp://host:port> [options]
    Lists the children of a node (default: the Objects folder).
      --node <NodeId>        node to browse, e.g. "ns=2;s=Line1" (default i=85, Objects)
      --path <browse path>   that node's browse path, to print the children's paths
      --json                 print JSON (what the editor's browse route returns)
      --mode None|Sign|SignAndEncrypt   --policy Basic256Sha256|Aes128_Sha256_RsaOaep|Aes256_Sha256_RsaPss
      --user <name> --password <pw>     user name login (default anonymous)
      --pki-dir <dir>        trust store (default ~/.node-red/plantwire/opcua/pki, Node-RED's)
      --trust                trust the server's certificate (after checking its thumbprint!)
      --timeout <ms>         default 10000
`;

function table(items: BrowseItem[]): string {
  const rows = items.map((i) => [i.nodeClass, i.displayName, i.dataType ? `${i.dataType}${i.writable ? ' rw' : ''}` : i.hasChildren ? '…' : '', i.nodeId, i.browsePath ?? '']);
  const head = ['class', 'name', 'type', 'NodeId', 'browse path'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((x, c) => x.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * node-opcua writes its own warnings with console.log, some of them some time
 * after loading: for the rest of this (one-shot) CLI process console.log goes
 * to stderr, so that stdout carries only the listing (or the JSON).
 */
export async function opcuaCommand(argv: string[], out: (line: string) => void = (line) => void process.stdout.write(`${line}\n`)): Promise<number> {
  console.log = (...args: unknown[]): void => console.error(...args);
  return browseCommand(argv, out);
}

async function browseCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'browse') throw new PlantwireError('bad-command', `unknown opcua command "${sub ?? ''}"\n${OPCUA_HELP}`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      node: { type: 'string' },
      path: { type: 'string' },
      json: { type: 'boolean' },
      mode: { type: 'string' },
      policy: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      'pki-dir': { type: 'string' },
      trust: { type: 'boolean' },
      timeout: { type: 'string' },
    },
  });
  const url = positionals[0];
  if (!url) throw new PlantwireError('bad-command', `missing the endpoint URL\n${OPCUA_HELP}`);
  const settings = endpointSettings(
    {
      url,
      securityMode: values.mode ?? 'None',
      securityPolicy: values.policy,
      auth: values.user ? 'username' : 'anonymous',
      requestTimeoutMs: values.timeout,
      reconnectInitialMs: 100,
      reconnectMaxMs: 1000,
    },
    { username: values.user, password: values.password },
  );
  const pkiDir = values['pki-dir'] ? path.resolve(values['pki-dir']) : pkiDirFor(path.join(os.homedir(), '.node-red'));
  const connection = new OpcUaConnection(settings, { pkiDir, warnAfterMs: Number.MAX_SAFE_INTEGER });
  connection.start();
  try {
    if (values.trust) {
      const info = await connection.trustServerCertificate();
      if (!values.json) out(`trusted "${info.subject}" (SHA-1 ${info.thumbprint}) in ${pkiDir}`);
    }
    let ctx;
    try {
      ctx = await connection.session(settings.requestTimeoutMs, { failFast: true });
    } catch (err) {
      const cert = connection.pendingCertificate;
      if (cert) {
        throw new PlantwireError('untrusted', `the server certificate "${cert.subject}" (SHA-1 ${cert.thumbprint}) is not trusted; if that is the right server, run again with --trust`, 'untrusted');
      }
      throw err;
    }
    const node = values.node ?? 'i=85';
    const level = await browseChildren(ctx, node, values.path ? { browsePath: values.path } : {});
    if (values.json) out(JSON.stringify(level, null, 2));
    else {
      out(`${settings.url} ${level.browsePath ?? level.nodeId}: ${level.items.length} node${level.items.length === 1 ? '' : 's'}${level.truncated ? ' (truncated)' : ''}`);
      out(table(level.items));
    }
    return 0;
  } finally {
    await connection.stop();
  }
}
