/**
 * node-opcua's own log lines (its warningLog, as `read_operational_limits`
 * and NODE-OPCUA-W27 use it) reach the sink the runtime installs — Node-RED's
 * log at debug level — instead of console.log.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { opcua, routeOpcuaLog } from '../../src/connectors/opcua/lib';

afterEach(() => vi.restoreAllMocks());

describe('node-opcua log routing', () => {
  it('sends node-opcua warnings to the sink and nothing to the console', () => {
    const lines: string[] = [];
    routeOpcuaLog((l) => lines.push(l));
    const lib = opcua() as unknown as { make_warningLog(ctx: string): (...a: unknown[]) => void };
    const consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const warn = lib.make_warningLog('test');
    warn('read_operational_limits', { statusCode: 'BadNodeIdUnknown' }, 42);
    expect(consoleLog).not.toHaveBeenCalled();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[node-opcua warning[^\]]*\] read_operational_limits \{ statusCode: 'BadNodeIdUnknown' \} 42$/);
  });
});
