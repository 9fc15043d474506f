/**
 * The settings of plantwire-cloud-connection as a field spec (src/model/fields.ts),
 * declared once: the dialog's defaults and validators, the check at deploy
 * (`cloudSettings` in ./index.ts reads its numbers by it and ends with it) and
 * the help's settings table come from here. A field counts only for the targets
 * that use it. Pure: bundled into the dialog.
 */
import { defineFields, type FieldSpec } from '../../model/fields';
import type { CloudKind } from './types';

export const CLOUD_KINDS: readonly CloudKind[] = ['aws-iot', 'azure-iot', 's3', 'webhook'];

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v).trim());
const host = (v: string): boolean => /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(v);
const KEY_PLACEHOLDERS = ['yyyy', 'MM', 'dd', 'HH', 'mm', 'asset', 'uuid', 'seq'];

/** A field of the given targets (its rule counts only for them) with the dialog's message `validation.<key>`. */
function forTargets<F extends FieldSpec>(targets: readonly CloudKind[], key: string, field: F): F {
  return { ...field, message: key, when: (c: Record<string, unknown>) => targets.includes(c.target as CloudKind) };
}
/** Empty, or JSON text of an object (headers, message properties). */
export function jsonObjectOrEmpty(v: unknown): boolean {
  const t = text(v);
  if (t === '') return true;
  try {
    const o = JSON.parse(t) as unknown;
    return !!o && typeof o === 'object' && !Array.isArray(o);
  } catch {
    return false;
  }
}
const rule = (ok: (v: string) => boolean) => (v: unknown): boolean => ok(text(v));

export const cloudConnectionFields = defineFields('plantwire-cloud-connection', 1, {
  target: { kind: 'enum', default: 'aws-iot', options: CLOUD_KINDS, required: true, label: 'target', message: 'target', explain: `must be one of ${CLOUD_KINDS.join(', ')}`, status: 'no cloud target selected' },
  endpoint: forTargets(['aws-iot'], 'endpoint', { kind: 'string', default: '', label: 'AWS endpoint', check: rule(host) }),
  thingName: forTargets(['aws-iot'], 'thingName', { kind: 'string', default: '', label: 'thing name', check: rule((v) => /^[a-zA-Z0-9:_-]{1,128}$/.test(v)) }),
  hubHost: forTargets(['azure-iot'], 'hubHost', { kind: 'string', default: '', label: 'IoT hub host', check: rule((v) => /^[A-Za-z0-9.-]+$/.test(v)) }),
  deviceId: forTargets(['azure-iot'], 'deviceId', { kind: 'string', default: '', label: 'device id', check: rule((v) => /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/.test(v)) }),
  apiVersion: forTargets(['azure-iot'], 'apiVersion', { kind: 'string', default: '2021-04-12', label: 'API version', check: rule((v) => v === '' || /^\d{4}-\d{2}-\d{2}(-preview)?$/.test(v)) }),
  sasTtl: forTargets(['azure-iot'], 'sasTtl', { kind: 'number', default: 3600, min: 60, max: 365 * 86_400, integer: true, unit: 's', label: 'SAS token lifetime (s)' }),
  gatewayHost: forTargets(['azure-iot'], 'gatewayHost', { kind: 'string', default: '', label: 'gateway host', check: rule((v) => v === '' || host(v)) }),
  s3Endpoint: forTargets(['s3'], 's3Endpoint', { kind: 'string', default: '', label: 'S3 endpoint', check: rule((v) => /^https?:\/\/[^\s/]+/.test(v)) }),
  region: forTargets(['s3'], 'region', { kind: 'string', default: 'us-east-1', label: 'region', check: rule((v) => /^[a-z0-9-]+$/.test(v)) }),
  bucket: forTargets(['s3'], 'bucket', { kind: 'string', default: '', label: 'bucket', check: rule((v) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v)) }),
  pathStyle: { kind: 'boolean', default: true, label: 'path-style URLs', when: (c) => c.target === 's3' },
  keyPattern: forTargets(['s3'], 'keyPattern', {
    kind: 'string',
    default: '',
    label: 'object key pattern',
    check: rule((v) => {
      if (v === '') return true;
      const names = (v.match(/\{[^}]*\}/g) || []).map((m) => m.slice(1, -1));
      return names.every((n) => KEY_PLACEHOLDERS.includes(n)) && (names.includes('uuid') || names.includes('seq')) && !/[\\{}]/.test(v.replace(/\{[A-Za-z]+\}/g, ''));
    }),
  }),
  format: { kind: 'enum', default: 'ndjson', options: ['ndjson', 'csv'], label: 'format' },
  gzip: { kind: 'boolean', default: false, label: 'gzip', when: (c) => c.target === 's3' || c.target === 'webhook' },
  url: forTargets(['webhook'], 'url', { kind: 'string', default: '', label: 'URL', check: rule((v) => /^https?:\/\/[^\s/]+/.test(v)) }),
  method: { kind: 'enum', default: 'POST', options: ['POST', 'PUT', 'PATCH'], label: 'method' },
  headers: forTargets(['webhook'], 'headers', {
    kind: 'string',
    default: '',
    label: 'webhook headers',
    check: jsonObjectOrEmpty,
  }),
  webhookFormat: { kind: 'enum', default: 'json', options: ['json', 'ndjson'], label: 'webhook format' },
  authHeaderName: forTargets(['webhook'], 'authHeaderName', { kind: 'string', default: 'Authorization', label: 'auth header name', check: rule((v) => v === '' || /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v)) }),
  flushCount: forTargets(['s3', 'webhook'], 'flushCount', { kind: 'number', labelKey: 'label.flush', default: 500, min: 1, max: 1_000_000, integer: true, label: 'flush count' }),
  flushBytes: forTargets(['s3', 'webhook'], 'flushBytes', { kind: 'number', labelKey: 'label.flush', default: 1_048_576, min: 1024, max: 1024 * 1024 * 1024, integer: true, unit: 'bytes', label: 'flush size (bytes)' }),
  flushSeconds: forTargets(['s3', 'webhook'], 'flushSeconds', { kind: 'number', labelKey: 'label.flush', default: 60, min: 0.1, max: 86_400, unit: 's', label: 'flush interval (s)' }),
  timeout: forTargets(CLOUD_KINDS, 'timeout', { kind: 'number', default: 30, min: 1, max: 600, unit: 's', label: 'timeout (s)' }),
  ca: forTargets(CLOUD_KINDS, 'ca', { kind: 'string', default: '', label: 'CA certificate', explain: 'must be PEM text (-----BEGIN CERTIFICATE----- …) or one file path', status: 'CA: not PEM', check: rule((v) => v === '' || v.includes('-----BEGIN CERTIFICATE-----') || !/[\r\n]/.test(v)) }),
  rejectUnauthorized: { kind: 'boolean', default: true, label: 'verify the server certificate' },
}, { cert: 'text', key: 'password', passphrase: 'password', deviceKey: 'password', accessKeyId: 'text', secretAccessKey: 'password', sessionToken: 'password', authHeader: 'password' });
