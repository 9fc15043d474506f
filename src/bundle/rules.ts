/**
 * Per-type rules for `validate`: which properties reference other nodes (and
 * of which type), and checks of a node's own configuration. An extensible
 * table keyed by node type: a Plantwire node adds its entry here (or calls
 * `registerNodeRule` from its own src/ module) and every bundle validation
 * applies it.
 */
import { toError } from '../model/errors';
import { jsonataSyntaxError, type JsonataCompile } from '../model/jsonata-syntax';
import { erpSettings, type ErpConnectionConfig } from '../connectors/erp/index';
import type { ErpKind } from '../connectors/erp/types';
import { erpOutSettings, erpQuerySettings, type ErpOutConfig, type ErpQueryConfig } from '../connectors/erp/node-settings';
import { emailOutSettings, type EmailOutConfig } from '../connectors/email/settings';
import { historianOutSettings } from '../connectors/historian/out-settings';
import { historianDbSettings } from '../connectors/historian/settings';
import { simulatorSettings } from '../sim/simulator';
import type { FlowNode } from './types';

export interface RefRule {
  /** Types the referenced node may have. */
  types: string[];
  /** The property must be set. */
  required?: boolean;
  /** The property holds a list of ids. */
  many?: boolean;
  /** Only checked when this returns true for the node (e.g. `usetls`). */
  when?: (node: FlowNode) => boolean;
}

/** A finding of a rule: the validator adds file and node. */
export interface RuleFinding {
  field: string;
  message: string;
  severity?: 'error' | 'warning';
}

export interface RuleContext {
  byId: Map<string, FlowNode>;
}

export interface NodeRule {
  refs?: Record<string, RefRule>;
  check?: (node: FlowNode, ctx: RuleContext) => RuleFinding[];
}

const ANY_NODE: string[] = [];

const CORE_RULES: Record<string, NodeRule> = {
  'mqtt in': { refs: { broker: { types: ['mqtt-broker'], required: true } } },
  'mqtt out': { refs: { broker: { types: ['mqtt-broker'], required: true } } },
  'mqtt-broker': { refs: { tls: { types: ['tls-config'], when: (n) => n.usetls === true || n.usetls === 'true' } } },
  'http request': { refs: { tls: { types: ['tls-config'] }, proxy: { types: ['http proxy'] } } },
  'websocket in': { refs: { server: { types: ['websocket-listener'] }, client: { types: ['websocket-client'] } } },
  'websocket out': { refs: { server: { types: ['websocket-listener'] }, client: { types: ['websocket-client'] } } },
  'websocket-client': { refs: { tls: { types: ['tls-config'] }, proxy: { types: ['http proxy'] } } },
  'tcp in': { refs: { tls: { types: ['tls-config'] } } },
  'tcp out': { refs: { tls: { types: ['tls-config'] } } },
  'tcp request': { refs: { tls: { types: ['tls-config'] } } },
  'link out': { refs: { links: { types: ['link in'], many: true, when: (n) => n.mode !== 'return' } } },
  'link in': { refs: { links: { types: ['link out'], many: true } } },
  'link call': { refs: { links: { types: ['link in'], many: true, when: (n) => n.linkType !== 'dynamic' } } },
  catch: { refs: { scope: { types: ANY_NODE, many: true } } },
  status: { refs: { scope: { types: ANY_NODE, many: true } } },
  complete: { refs: { scope: { types: ANY_NODE, many: true } } },
  group: { refs: { nodes: { types: ANY_NODE, many: true } } },
};

/** Plantwire node types. Types other engineers are adding carry their config references here already. */
const PLANTWIRE_RULES: Record<string, NodeRule> = {
  'plantwire-simulator': {
    check(node) {
      try {
        simulatorSettings(node);
        return [];
      } catch (err) {
        const message = toError(err).message;
        const field = /^(interval|seed|output|lines|source)\b/.exec(message)?.[1] ?? (/custom signals|signal \d/.test(message) ? 'signals' : 'config');
        return [{ field, message }];
      }
    },
  },
  'plantwire-opcua-in': { refs: { endpoint: { types: ['plantwire-opcua-endpoint'], required: true } } },
  'plantwire-opcua-read': { refs: { endpoint: { types: ['plantwire-opcua-endpoint'], required: true } } },
  'plantwire-opcua-write': { refs: { endpoint: { types: ['plantwire-opcua-endpoint'], required: true } } },
  'plantwire-opcua-method': { refs: { endpoint: { types: ['plantwire-opcua-endpoint'], required: true } } },
  'plantwire-mqtt-in': { refs: { broker: { types: ['plantwire-mqtt-broker'], required: true } } },
  'plantwire-mqtt-out': { refs: { broker: { types: ['plantwire-mqtt-broker'], required: true } } },
  'plantwire-sparkplug-host': { refs: { broker: { types: ['plantwire-mqtt-broker'], required: true } } },
  'plantwire-modbus-read': { refs: { device: { types: ['plantwire-modbus-device'], required: true } } },
  'plantwire-modbus-write': { refs: { device: { types: ['plantwire-modbus-device'], required: true } } },
  'plantwire-erp-connection': {
    check(node) {
      // Credentials are not in the flow file: stand-ins let the other fields be checked.
      const stand = { user: 'x', password: 'x', clientId: 'x', clientSecret: 'x', apiKey: 'x' };
      return findings(() => erpSettings(node as ErpConnectionConfig, stand), /^(system|URL|SAP client|database|authentication|token URL|API key header|headers|header|timeout|CA certificate)\b/i, { system: 'kind', URL: 'url', 'SAP client': 'sapClient', 'token URL': 'tokenUrl', 'API key header': 'apiKeyHeader', header: 'headers', 'CA certificate': 'ca', authentication: 'auth' });
    },
  },
  'plantwire-erp-out': {
    refs: { connection: { types: ['plantwire-erp-connection'], required: true } },
    check(node, ctx) {
      // The connection's system decides some rules (a key in a REST path, an action's name): read as the runtime does.
      const kind = ctx.byId.get(String(node.connection ?? ''))?.kind;
      const out = findings(() => erpOutSettings(node as ErpOutConfig, typeof kind === 'string' && kind !== '' ? (kind as ErpKind) : undefined), /^(operation|entity|action|mapping|external key field|batch size|batch wait)\b/i, { 'external key field': 'externalKeyField', 'batch size': 'batchSize', 'batch wait': 'batchMs' });
      // A malformed mapping or key fails at deploy: say so before (when JSONata is at hand, as with Node-RED installed).
      for (const field of ['mapping', 'key'] as const) {
        // A key read from msg/flow/global/env (version 2) is a property name, not an expression.
        if (field === 'key' && node.keyType !== undefined && node.keyType !== '' && node.keyType !== 'jsonata') continue;
        const text = typeof node[field] === 'string' ? (node[field] as string).trim() : '';
        const syntax = text ? syntaxError(text) : null;
        if (syntax) out.push({ field, message: `${field}: the JSONata expression has a syntax error: ${syntax}` });
      }
      return out;
    },
  },
  'plantwire-erp-query': {
    refs: { connection: { types: ['plantwire-erp-connection'], required: true } },
    check(node) {
      return findings(() => erpQuerySettings(node as ErpQueryConfig), /^(entity|filter|top)\b/i, {});
    },
  },
  'plantwire-cloud-out': { refs: { connection: { types: ['plantwire-cloud-connection'], required: true } } },
  'plantwire-cloud-connection': {
    // The fields each target needs (credentials are not in flow files; the node itself checks the values in full).
    check(node) {
      const required: Record<string, string[]> = { 'aws-iot': ['endpoint', 'thingName'], 'azure-iot': ['hubHost', 'deviceId'], s3: ['bucket'], webhook: ['url'] };
      const target = String(node.target ?? '');
      const fields = required[target];
      if (!fields) return [{ field: 'target', message: `target must be one of ${Object.keys(required).join(', ')}, got ${JSON.stringify(node.target ?? '')}` }];
      return fields.filter((f) => typeof node[f] !== 'string' || (node[f] as string).trim() === '').map((f) => ({ field: f, message: `${f} is required for the ${target} target` }));
    },
  },
  'plantwire-email-out': {
    refs: { server: { types: ['plantwire-smtp-server'], required: true } },
    check(node) {
      // Values from environment variables (${ALARM_TO}) are only known at deploy time.
      if (Object.values(node).some((v) => typeof v === 'string' && v.includes('${'))) return [];
      try {
        emailOutSettings(node as EmailOutConfig);
        return [];
      } catch (err) {
        const message = toError(err).message;
        return [{ field: /^(to|cc|from|mode)\b/.exec(message)?.[1] ?? (/digest/.test(message) ? 'digestSeconds' : /rate/.test(message) ? 'rateCount' : 'config'), message }];
      }
    },
  },
  'plantwire-smtp-server': {
    check(node) {
      const host = String(node.host ?? '').trim();
      return host && !/[\s/]/.test(host) ? [] : [{ field: 'host', message: 'the SMTP server needs a host name or IP address' }];
    },
  },
  'plantwire-historian-out': {
    refs: { db: { types: ['plantwire-historian-db'], required: true } },
    check(node) {
      try {
        historianOutSettings(node as Parameters<typeof historianOutSettings>[0]);
        return [];
      } catch (err) {
        return [{ field: 'batchSize', message: toError(err).message }];
      }
    },
  },
  'plantwire-historian-db': {
    // The node's field spec checks every setting (src/connectors/historian/db-fields.ts); its error names the field.
    check: (node) =>
      findings(() => historianDbSettings(node, {}, { readFiles: false }), /^(database kind|host|port|database|schema|table|InfluxDB URL|InfluxDB API|InfluxDB v1 needs a database|InfluxDB v2 needs a bucket|InfluxDB v2 needs an organisation|measurement|precision)\b/, {
        'database kind': 'kind',
        'InfluxDB URL': 'url',
        'InfluxDB API': 'api',
        'InfluxDB v1 needs a database': 'db',
        'InfluxDB v2 needs a bucket': 'bucket',
        'InfluxDB v2 needs an organisation': 'org',
      }),
  },
};

/** Runs a settings parser; its error becomes one finding on the field its message starts with. */
function findings(parse: () => unknown, fieldRe: RegExp, names: Record<string, string>): RuleFinding[] {
  try {
    parse();
    return [];
  } catch (err) {
    const message = toError(err).message;
    const word = fieldRe.exec(message)?.[1];
    const field = word ? (names[word] ?? names[word.toLowerCase()] ?? word.toLowerCase()) : 'config';
    return [{ field, message }];
  }
}

let jsonataFn: JsonataCompile | null | undefined;
/** The syntax error of a JSONata expression, or null (also when JSONata is not installed). */
function syntaxError(expr: string): string | null {
  if (jsonataFn === undefined) {
    try {
      jsonataFn = require('jsonata') as JsonataCompile;
    } catch {
      jsonataFn = null;
    }
  }
  return jsonataSyntaxError(expr, jsonataFn);
}

const RULES = new Map<string, NodeRule>([...Object.entries(CORE_RULES), ...Object.entries(PLANTWIRE_RULES)]);

export function nodeRule(type: string): NodeRule | undefined {
  return RULES.get(type);
}

/** Adds or replaces the rule of a node type (Plantwire node modules call this for their own checks). */
export function registerNodeRule(type: string, rule: NodeRule): void {
  RULES.set(type, rule);
}
