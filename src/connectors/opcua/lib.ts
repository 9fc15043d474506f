/**
 * node-opcua, loaded on first use: a Node-RED without OPC UA nodes in its
 * flows never pays for loading it (about 0.3 s and 100 MB).
 *
 * node-opcua writes its own diagnostics (warnings such as
 * `read_operational_limits … BadNodeIdUnknown`, NODE-OPCUA-W27, error dumps)
 * with console.log. `routeOpcuaLog` sends them to a sink instead — the
 * runtime passes Node-RED's log at debug level — through node-opcua's public
 * setWarningLogger / setErrorLogger / setDebugLogger; Plantwire reports what
 * matters to the user itself (status, node.error).
 */
import { format } from 'node:util';

export type OpcUa = typeof import('node-opcua');

let loaded: OpcUa | undefined;
let sink: ((line: string) => void) | undefined;

type PrintFunc = (ctx: { filename?: string; callerline?: number } | undefined, ...args: unknown[]) => void;
interface OpcUaLoggers {
  setWarningLogger?(f: PrintFunc): void;
  setErrorLogger?(f: PrintFunc): void;
  setDebugLogger?(f: PrintFunc): void;
}

function install(lib: OpcUa): void {
  const to = sink;
  if (!to) return;
  const l = lib as unknown as OpcUaLoggers;
  const print =
    (level: string): PrintFunc =>
    (ctx, ...args) => {
      const where = ctx?.filename ? ` ${ctx.filename}${ctx.callerline !== undefined && ctx.callerline >= 0 ? `:${ctx.callerline}` : ''}` : '';
      to(`[node-opcua ${level}${where}] ${format(...args)}`);
    };
  l.setWarningLogger?.(print('warning'));
  l.setErrorLogger?.(print('error'));
  l.setDebugLogger?.(print('debug'));
}

/** Where node-opcua's own log lines go (applied now if it is loaded, else when it loads). */
export function routeOpcuaLog(to: (line: string) => void): void {
  sink = to;
  if (loaded) install(loaded);
}

export function opcua(): OpcUa {
  if (!loaded) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('node-opcua') as OpcUa;
    install(loaded);
  }
  return loaded;
}
