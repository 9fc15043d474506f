/**
 * The cloud targets behind one factory: `cloudSettings(config, credentials)`
 * turns a plantwire-cloud-connection's dialog fields and credentials into
 * validated settings (a PlantwireError names the field otherwise), and
 * `createCloudTarget(settings)` makes the target. No Node-RED import.
 */
import { PlantwireError } from '../../model/errors';
import { parseFields, type NumberField } from '../../model/fields';
import { numberSetting } from '../../model/settings';
import { CLOUD_KINDS, cloudConnectionFields } from './fields';
import { AwsIotTarget, checkAwsIotSettings, type AwsIotSettings } from './aws-iot';
import { AZURE_API_VERSION, AzureIotTarget, checkAzureIotSettings, type AzureIotSettings } from './azure-iot';
import { S3_DEFAULT_KEY_PATTERN, S3Target, s3SettingsProblems, type S3Settings } from './s3';
import type { CloudKind, CloudTarget } from './types';
import { WebhookTarget, webhookSettingsProblems, type WebhookSettings } from './webhook';

export * from './types';
export { AwsIotTarget, AzureIotTarget, S3Target, WebhookTarget, AZURE_API_VERSION };
export type { AwsIotSettings, AzureIotSettings, S3Settings, WebhookSettings };

export { CLOUD_KINDS };

/** The plantwire-cloud-connection dialog fields (numbers may arrive as strings). */
export interface CloudConfig {
  target?: string;
  endpoint?: string;
  thingName?: string;
  hubHost?: string;
  deviceId?: string;
  apiVersion?: string;
  sasTtl?: number | string;
  gatewayHost?: string;
  s3Endpoint?: string;
  region?: string;
  bucket?: string;
  pathStyle?: boolean | string;
  keyPattern?: string;
  format?: string;
  gzip?: boolean | string;
  url?: string;
  method?: string;
  headers?: string;
  webhookFormat?: string;
  authHeaderName?: string;
  flushCount?: number | string;
  flushBytes?: number | string;
  flushSeconds?: number | string;
  timeout?: number | string;
  ca?: string;
  rejectUnauthorized?: boolean | string;
}

export interface CloudCredentials {
  cert?: string;
  key?: string;
  passphrase?: string;
  deviceKey?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  authHeader?: string;
}

export type CloudSettings =
  | { kind: 'aws-iot'; aws: AwsIotSettings }
  | { kind: 'azure-iot'; azure: AzureIotSettings }
  | { kind: 's3'; s3: S3Settings }
  | { kind: 'webhook'; webhook: WebhookSettings };

function bool(v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'boolean') return v;
  return v === 'true' || v === 1 || v === '1';
}

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

function tls(config: CloudConfig): { ca?: string; rejectUnauthorized: boolean } {
  const ca = str(config.ca);
  return ca ? { ca, rejectUnauthorized: bool(config.rejectUnauthorized, true) } : { rejectUnauthorized: bool(config.rejectUnauthorized, true) };
}

/** A number of the dialog, by its field spec (./fields.ts): limits, default and the label its error names. */
function numberField(c: Record<string, unknown>, key: 'timeout' | 'flushCount' | 'flushBytes' | 'flushSeconds' | 'sasTtl'): number {
  const f = cloudConnectionFields.fields[key] as NumberField;
  return numberSetting(c, key, { default: Number(f.default), min: f.min!, max: f.max!, ...(f.integer ? { integer: true } : {}), label: f.label });
}

/**
 * Validates the dialog fields and credentials for the selected target: the
 * target's own checks first (they name every problem of the target at once),
 * then the rest of the field spec's rules (the dialog's).
 */
export function cloudSettings(config: CloudConfig, creds: CloudCredentials = {}): CloudSettings {
  const settings = targetSettings(config, creds);
  // The method is read case-insensitively (a flow written by hand: "post").
  parseFields(cloudConnectionFields, { ...(config as Record<string, unknown>), method: str(config.method).toUpperCase() || undefined });
  return settings;
}

function targetSettings(config: CloudConfig, creds: CloudCredentials): CloudSettings {
  const kind = str(config.target) as CloudKind;
  if (!CLOUD_KINDS.includes(kind)) {
    throw new PlantwireError('bad-config', `target must be one of ${CLOUD_KINDS.join(', ')}, got ${JSON.stringify(config.target ?? '')}`, 'no cloud target selected');
  }
  const c = config as Record<string, unknown>;
  const timeoutMs = numberField(c, 'timeout') * 1000;
  const flushCount = numberField(c, 'flushCount');
  const flushBytes = numberField(c, 'flushBytes');
  const flushMs = numberField(c, 'flushSeconds') * 1000;
  const t = tls(config);
  switch (kind) {
    case 'aws-iot': {
      const aws: AwsIotSettings = { endpoint: str(config.endpoint), thingName: str(config.thingName), cert: creds.cert ?? '', key: creds.key ?? '', timeoutMs, ...t };
      if (creds.passphrase) aws.passphrase = creds.passphrase;
      checkAwsIotSettings(aws);
      return { kind, aws };
    }
    case 'azure-iot': {
      const azure: AzureIotSettings = {
        hubHost: str(config.hubHost),
        deviceId: str(config.deviceId),
        deviceKey: creds.deviceKey ?? '',
        apiVersion: str(config.apiVersion) || AZURE_API_VERSION,
        sasTtlS: numberField(c, 'sasTtl'),
        timeoutMs,
        ...t,
      };
      const gw = str(config.gatewayHost);
      if (gw) azure.gatewayHost = gw;
      checkAzureIotSettings(azure);
      return { kind, azure };
    }
    case 's3': {
      const format = str(config.format) || 'ndjson';
      const s3: S3Settings = {
        endpoint: str(config.s3Endpoint),
        region: str(config.region) || 'us-east-1',
        bucket: str(config.bucket),
        pathStyle: bool(config.pathStyle, true),
        accessKeyId: creds.accessKeyId ?? '',
        secretAccessKey: creds.secretAccessKey ?? '',
        keyPattern: str(config.keyPattern) || S3_DEFAULT_KEY_PATTERN,
        format: format as S3Settings['format'],
        gzip: bool(config.gzip, false),
        flushCount,
        flushBytes,
        flushMs,
        timeoutMs,
        tls: t,
      };
      if (creds.sessionToken) s3.sessionToken = creds.sessionToken;
      const problems = s3SettingsProblems(s3);
      const missing = problems.filter((p) => /access key id is missing|secret access key is missing/.test(p));
      const wrong = problems.filter((p) => !missing.includes(p));
      if (wrong.length) throw new PlantwireError('bad-config', `S3: ${wrong.join('; ')}`, `S3: ${wrong[0]}`);
      if (missing.length) throw new PlantwireError('not-set-up', `S3 needs the access key id and secret access key (credentials): ${missing.join('; ')}`, 'not set up: S3 access keys missing');
      return { kind, s3 };
    }
    case 'webhook': {
      let headers: Record<string, string> = {};
      const raw = str(config.headers);
      if (raw) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch (err) {
          throw new PlantwireError('bad-config', `webhook headers must be a JSON object like {"X-Plant": "Berlin"}: ${(err as Error).message}`, 'headers: not JSON');
        }
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
          throw new PlantwireError('bad-config', 'webhook headers must be a JSON object of string values like {"X-Plant": "Berlin"}', 'headers: not an object of strings');
        }
        headers = parsed as Record<string, string>;
      }
      const webhook: WebhookSettings = {
        url: str(config.url),
        method: (str(config.method) || 'POST').toUpperCase() as WebhookSettings['method'],
        headers,
        format: (str(config.webhookFormat) || 'json') as WebhookSettings['format'],
        gzip: bool(config.gzip, false),
        flushCount,
        flushBytes,
        flushMs,
        timeoutMs,
        tls: t,
      };
      if (creds.authHeader) {
        webhook.authHeaderName = str(config.authHeaderName) || 'Authorization';
        webhook.authHeaderValue = creds.authHeader;
      }
      const problems = webhookSettingsProblems(webhook);
      if (problems.length) throw new PlantwireError('bad-config', `webhook: ${problems.join('; ')}`, `webhook: ${problems[0]}`);
      return { kind, webhook };
    }
  }
}

export function createCloudTarget(settings: CloudSettings): CloudTarget {
  switch (settings.kind) {
    case 'aws-iot':
      return new AwsIotTarget(settings.aws);
    case 'azure-iot':
      return new AzureIotTarget(settings.azure);
    case 's3':
      return new S3Target(settings.s3);
    case 'webhook':
      return new WebhookTarget(settings.webhook);
  }
}

/** A label for status and logs: where the target sends to. */
export function cloudLabel(settings: CloudSettings): string {
  switch (settings.kind) {
    case 'aws-iot':
      return `AWS IoT ${settings.aws.thingName}@${settings.aws.endpoint}`;
    case 'azure-iot':
      return `Azure IoT ${settings.azure.deviceId}@${settings.azure.hubHost}`;
    case 's3':
      return `S3 ${settings.s3.bucket}`;
    case 'webhook':
      return `webhook ${settings.webhook.url.replace(/\?.*$/, '')}`;
  }
}

/** The address a cloud connection talks to (for the same-origin check of stored secrets). */
export function cloudAddress(config: CloudConfig): string {
  switch (str(config.target)) {
    case 'aws-iot':
      return `mqtts://${str(config.endpoint)}:8883`;
    case 'azure-iot':
      return `mqtts://${str(config.gatewayHost) || str(config.hubHost)}:8883`;
    case 's3': {
      const e = str(config.s3Endpoint) || `https://s3.${str(config.region) || 'us-east-1'}.amazonaws.com`;
      return /^[a-z]+:\/\//i.test(e) ? e : `https://${e}`;
    }
    default:
      return str(config.url);
  }
}

/**
 * "Test connection". AWS/Azure IoT: connects over MQTT with the credentials
 * and waits for the broker's answer. S3 and webhooks send nothing until a
 * delivery, so the test is an unauthenticated HEAD request: it shows the host
 * answers over HTTPS (any status), not that the credentials are right.
 */
export async function testCloud(settings: CloudSettings, address: string, signal: AbortSignal): Promise<string> {
  const label = cloudLabel(settings);
  if (settings.kind === 'aws-iot' || settings.kind === 'azure-iot') {
    const target = createCloudTarget(settings);
    try {
      await new Promise<void>((resolve, reject) => {
        const check = (s: { state: string; text: string }): void => {
          if (s.state === 'connected') resolve();
          else if (s.state === 'error' || s.state === 'disconnected') reject(new PlantwireError('test-failed', `${label}: ${s.text}`, 'test failed'));
        };
        target.onState(check);
        signal.addEventListener('abort', () => reject(new PlantwireError('test-timeout', `${label}: no answer`, 'test timed out')));
        target.start().catch(reject);
        check(target.state);
      });
      return `connected to ${label}`;
    } finally {
      await target.close().catch(() => undefined);
    }
  }
  const url = settings.kind === 'webhook' ? settings.webhook.url : address;
  let res: Response;
  try {
    res = await fetch(url, { method: 'HEAD', signal, redirect: 'manual' });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new PlantwireError('test-failed', `${label}: ${url.replace(/\?.*$/, '')} cannot be reached: ${cause ?? (err as Error).message}`, 'unreachable');
  }
  return `${url.replace(/\?.*$/, '')} answers (HTTP ${res.status} to a HEAD request without credentials); the credentials are checked by the first delivery`;
}
