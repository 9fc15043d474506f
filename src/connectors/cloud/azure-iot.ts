/**
 * Azure IoT Hub device-to-cloud messages over MQTT 3.1.1 on TLS (8883):
 * client id = device id, user name `{hub}/{device}/?api-version=…`, password
 * a SAS token made from the device key (sas.ts), renewed before it expires
 * (a fresh connection at ~80 % of its lifetime, and a fresh token on every
 * automatic reconnect). Each record is one QoS 1 publish to
 * `devices/{device}/messages/events/{property bag}` with the content type
 * and encoding system properties, the message id and the record's
 * application properties. No Node-RED import.
 */
import { brokerSettings, type BrokerSettings } from '../mqtt/options';
import { PlantwireError } from '../../model/errors';
import { parseHostPort } from './endpoint';
import { MqttCloudTarget, PermanentCloudError, type MqttPublish } from './mqtt-target';
import { decodeDeviceKey, deviceSasToken } from './sas';
import type { CloudRecord } from './types';

export const AZURE_API_VERSION = '2021-04-12';

export interface AzureIotSettings {
  /** `myhub.azure-devices.net` */
  hubHost: string;
  deviceId: string;
  /** The device's primary or secondary key (base64), a credential. */
  deviceKey: string;
  /** Default 2021-04-12. */
  apiVersion?: string;
  /** Lifetime of each SAS token in seconds (default 3600); the connection is renewed at ~80 % of it. */
  sasTtlS?: number;
  /**
   * Connect here instead of the hub (host[:port]): an IoT Edge transparent
   * gateway, or a local test broker. The token still names the hub.
   */
  gatewayHost?: string;
  /** CA (PEM text or path); empty = the system's trust store (DigiCert Global Root G2 for Azure). */
  ca?: string;
  rejectUnauthorized?: boolean;
  timeoutMs?: number;
  reconnectPeriodMs?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
  /** Renew the connection after this many ms instead of at 80 % of the token lifetime (tests). */
  renewMs?: number;
}

const DEVICE_ID = /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/;

/** Validates; throws a PlantwireError naming the field. */
export function checkAzureIotSettings(s: AzureIotSettings): { host: string; port: number; hub: string } {
  const hub = parseHostPort(s.hubHost ?? '', 8883, 'IoT hub host', 'myhub.azure-devices.net').host;
  const device = (s.deviceId ?? '').trim();
  if (!DEVICE_ID.test(device)) {
    throw new PlantwireError('bad-config', `device id "${device}" is not valid: 1–128 letters, digits or - . % _ * ? ! ( ) , : = @ $ '`, device ? 'device id not valid' : 'device id is empty');
  }
  if (!(s.deviceKey ?? '').trim()) throw new PlantwireError('not-set-up', 'Azure IoT Hub needs the device key (a credential): copy the primary key of the device from the Azure portal', 'not set up: device key missing');
  decodeDeviceKey(s.deviceKey);
  const ttl = s.sasTtlS ?? 3600;
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > 365 * 86_400) throw new PlantwireError('bad-config', `SAS token lifetime must be 60 s to 365 days (whole seconds), got ${ttl}`, 'SAS lifetime out of range');
  const api = (s.apiVersion ?? AZURE_API_VERSION).trim() || AZURE_API_VERSION;
  if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(api)) throw new PlantwireError('bad-config', `API version "${api}" is not a date like 2021-04-12`, 'bad API version');
  const conn = s.gatewayHost?.trim() ? parseHostPort(s.gatewayHost, 8883, 'gateway host', 'edge-gateway.local:8883') : parseHostPort(s.hubHost, 8883, 'IoT hub host', 'myhub.azure-devices.net');
  return { ...conn, hub };
}

/** `devices/{device}/messages/events/` followed by the URL-encoded property bag. */
export function azureEventTopic(deviceId: string, properties: Record<string, string> = {}, messageId?: string): string {
  const enc = (v: string): string => encodeURIComponent(v);
  const bag = ['$.ct=application%2Fjson', '$.ce=utf-8'];
  if (messageId) bag.push(`$.mid=${enc(messageId)}`);
  for (const [k, v] of Object.entries(properties)) {
    if (k.startsWith('$.')) continue; // system properties are set above, not overridable per record
    bag.push(`${enc(k)}=${enc(String(v))}`);
  }
  return `devices/${deviceId}/messages/events/${bag.join('&')}`;
}

export class AzureIotTarget extends MqttCloudTarget {
  readonly kind = 'azure-iot' as const;
  private readonly hub: string;
  private readonly host: string;
  private readonly port: number;
  private readonly device: string;
  private readonly ttlS: number;
  private readonly now: () => number;
  /** The token of the current connection (tests and diagnostics). */
  token = '';

  constructor(readonly settings: AzureIotSettings) {
    super(settings.timeoutMs ?? 10_000);
    const { host, port, hub } = checkAzureIotSettings(settings);
    this.hub = hub;
    this.host = host;
    this.port = port;
    this.device = settings.deviceId.trim();
    this.ttlS = settings.sasTtlS ?? 3600;
    this.now = settings.now ?? Date.now;
  }

  get username(): string {
    return `${this.hub}/${this.device}/?api-version=${(this.settings.apiVersion ?? '').trim() || AZURE_API_VERSION}`;
  }

  /** A token valid for the configured lifetime from now. */
  freshToken(): string {
    const expiry = Math.floor(this.now() / 1000) + this.ttlS;
    this.token = deviceSasToken(this.hub, this.device, this.settings.deviceKey.trim(), expiry);
    return this.token;
  }

  protected brokerSettings(): BrokerSettings {
    return brokerSettings(
      {
        url: `mqtts://${this.host}:${this.port}`,
        protocolVersion: 4,
        clientId: this.device,
        clean: true,
        keepalive: 60,
        reconnectPeriod: this.settings.reconnectPeriodMs ?? 3000,
        connectTimeout: this.settings.timeoutMs ?? 10_000,
        ...(this.settings.ca ? { ca: this.settings.ca } : {}),
        rejectUnauthorized: this.settings.rejectUnauthorized ?? true,
        // The TLS server name stays the hub's when connecting through a gateway address given as an IP.
      },
      { username: this.username, password: this.freshToken() },
    );
  }

  protected override renewAfterMs(): number {
    return this.settings.renewMs ?? Math.round(this.ttlS * 1000 * 0.8);
  }

  protected override beforeReconnect(options: { password?: string | Buffer }): void {
    options.password = this.freshToken();
  }

  protected toPublish(record: CloudRecord): MqttPublish {
    let topic: string;
    try {
      topic = azureEventTopic(this.device, record.properties ?? {}, record.key);
    } catch (err) {
      throw new PermanentCloudError('bad-properties', `Azure IoT: record ${record.key}: bad message properties: ${(err as Error).message}`, 'bad message properties');
    }
    return { topic, payload: JSON.stringify(record.body ?? null) };
  }
}
