/**
 * AWS IoT Core device data endpoint: MQTT 5 over TLS (port 8883, or 443
 * with the ALPN protocol "x-amzn-mqtt-ca"), authenticated by the thing's X.509
 * certificate and private key; client id = thing name; each record one QoS 1
 * publish on its own topic, its body as JSON, with the content type and the
 * record's properties plus `plantwire-id` (its stable key) as MQTT 5 user
 * properties (IoT rules read them with get_user_property()). No Node-RED import.
 */
import type { IClientOptions } from 'mqtt';
import { brokerSettings, pemOrFile, type BrokerSettings } from '../mqtt/options';
import { PlantwireError } from '../../model/errors';
import { topicNameProblems } from '../mqtt/topic';
import { parseHostPort } from './endpoint';
import { MqttCloudTarget, PermanentCloudError, type MqttPublish } from './mqtt-target';
import type { CloudRecord } from './types';

export interface AwsIotSettings {
  /** Device data endpoint, `xxxxxxxx-ats.iot.eu-central-1.amazonaws.com` (port 8883 unless `:port` is given). */
  endpoint: string;
  /** The thing name: the MQTT client id (IoT policies often require `iot:Connect` on client/${iot:Connection.Thing.ThingName}). */
  thingName: string;
  /** Device certificate and private key: PEM text or file paths. */
  cert: string;
  key: string;
  /** Passphrase of an encrypted key. */
  passphrase?: string;
  /** CA (PEM text or path); empty = the system's trust store (which holds Amazon Root CA 1). */
  ca?: string;
  rejectUnauthorized?: boolean;
  /** Connect timeout and the wait for a connection in deliver (ms). */
  timeoutMs?: number;
  /** ms between reconnect attempts (default 3000). */
  reconnectPeriodMs?: number;
  keepaliveS?: number;
}

const THING = /^[a-zA-Z0-9:_-]{1,128}$/;

/** Validates the settings; throws a PlantwireError naming the field. */
export function checkAwsIotSettings(s: AwsIotSettings): { host: string; port: number } {
  const ep = parseHostPort(s.endpoint ?? '', 8883, 'AWS endpoint', 'abc123xyz-ats.iot.eu-central-1.amazonaws.com (IoT Core → Settings → Device data endpoint)');
  const thing = (s.thingName ?? '').trim();
  if (!THING.test(thing)) {
    throw new PlantwireError('bad-config', `thing name "${thing}" is not valid: 1–128 letters, digits, ":", "_" or "-" (it is the MQTT client id)`, thing ? 'thing name not valid' : 'thing name is empty');
  }
  if (!(s.cert ?? '').trim() || !(s.key ?? '').trim()) {
    throw new PlantwireError('not-set-up', 'AWS IoT needs the device certificate and its private key (PEM text or file paths; kept as credentials): create them in IoT Core → Things → your thing → Certificates', 'not set up: certificate and key missing');
  }
  return ep;
}

export class AwsIotTarget extends MqttCloudTarget {
  readonly kind = 'aws-iot' as const;
  private readonly settingsResolved: BrokerSettings;

  constructor(readonly settings: AwsIotSettings) {
    super(settings.timeoutMs ?? 10_000);
    const { host, port } = checkAwsIotSettings(settings);
    // Read the PEM files now: a missing file is a configuration error, not a connect failure.
    pemOrFile(settings.cert, 'TLS client certificate');
    pemOrFile(settings.key, 'TLS client key');
    const resolved = brokerSettings(
      {
        url: `mqtts://${host}:${port}`,
        protocolVersion: 5,
        clientId: settings.thingName.trim(),
        clean: true,
        keepalive: settings.keepaliveS ?? 60,
        reconnectPeriod: settings.reconnectPeriodMs ?? 3000,
        connectTimeout: settings.timeoutMs ?? 10_000,
        cert: settings.cert,
        key: settings.key,
        ...(settings.ca ? { ca: settings.ca } : {}),
        rejectUnauthorized: settings.rejectUnauthorized ?? true,
      },
      settings.passphrase ? { passphrase: settings.passphrase } : {},
    );
    // Port 443 needs ALPN to reach the MQTT listener (AWS "MQTT over 443").
    if (port === 443) (resolved.options as IClientOptions & { ALPNProtocols?: string[] }).ALPNProtocols = ['x-amzn-mqtt-ca'];
    this.settingsResolved = resolved;
  }

  protected brokerSettings(): BrokerSettings {
    return { ...this.settingsResolved, options: { ...this.settingsResolved.options } };
  }

  protected toPublish(record: CloudRecord): MqttPublish {
    const topic = record.topic ?? '';
    const problems = topic ? topicNameProblems(topic) : ['no topic'];
    // AWS IoT reserves topics starting with $ (shadow, jobs, rules) — those are allowed on purpose.
    if (problems.length) throw new PermanentCloudError('bad-topic', `AWS IoT: record ${record.key} has no valid topic (${problems.join('; ')})`, 'record without topic');
    return {
      topic,
      payload: JSON.stringify(record.body ?? null),
      properties: { contentType: 'application/json', userProperties: { ...(record.properties ?? {}), 'plantwire-id': record.key } },
    };
  }
}
