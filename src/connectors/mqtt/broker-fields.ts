// The settings of plantwire-mqtt-broker as a field spec (src/model/fields.ts).
// Pure data: bundled into the dialog's script too, so nothing here may touch Node.js.
import { defineFields } from '../../model/fields';
import { QOS_LEVELS } from './field-pieces';

/** A saved switch that is off (`false`, `'false'`). */
export function isOff(v: unknown): boolean {
  return v === false || v === 'false' || v === 0 || v === '0';
}

/**
 * The settings of plantwire-mqtt-broker, declared once: the dialog's defaults
 * and validators (nodes/plantwire-mqtt-broker/fields.ts), the check at deploy
 * (`brokerSettings`) and the help's settings table come from here.
 */
export const brokerFields = defineFields('plantwire-mqtt-broker', 1, {
  // ${ENV_VAR}: Node-RED puts the environment variable's value in at deploy.
  url: { kind: 'string', default: 'mqtt://127.0.0.1:1883', required: true, pattern: /^(?:(mqtts?|wss?|tcp|ssl):\/\/[^\s/@]+.*|\$\{\w+\})$/, label: 'broker URL', message: 'url', explain: 'write a URL like mqtt://127.0.0.1:1883 or mqtts://broker:8883 (also ws://, wss://, or ${ENV_VAR})' },
  protocolVersion: { kind: 'enum', default: '4', options: ['4', '5'], required: true, label: 'MQTT version', explain: 'must be 4 (3.1.1) or 5', status: 'MQTT version must be 3.1.1 or 5' },
  // A persistent session (clean off) needs a fixed client id; no spaces.
  clientId: { kind: 'string', default: '', pattern: /^\S*$/, label: 'client id', message: 'clientId', explain: 'a persistent session (clean session off) needs a fixed client id: the broker finds the session by it; set Client ID (no spaces)', status: 'persistent session needs a client id', check: (v, c) => !isOff(c.clean) || String(v ?? '').trim() !== '' },
  clean: { kind: 'boolean', default: true, label: 'clean session' },
  sessionExpiry: { kind: 'number', default: 86_400, min: 0, max: 4_294_967_295, integer: true, unit: 's', label: 'session expiry (s)' },
  keepalive: { kind: 'number', default: 60, min: 0, max: 65_535, integer: true, unit: 's', label: 'keep alive (s)' },
  reconnectPeriod: { kind: 'number', default: 2000, min: 100, max: 3_600_000, integer: true, unit: 'ms', label: 'first reconnect delay (ms)' },
  connectTimeout: { kind: 'number', default: 30_000, min: 500, max: 600_000, integer: true, unit: 'ms', label: 'connect timeout (ms)' },
  tls: { kind: 'boolean', default: false, label: 'TLS' },
  ca: { kind: 'string', default: '', label: 'CA certificate', hidden: true },
  cert: { kind: 'string', default: '', label: 'client certificate', hidden: true },
  key: { kind: 'string', default: '', label: 'client key', hidden: true },
  rejectUnauthorized: { kind: 'boolean', default: true, label: "verify the broker's certificate" },
  servername: { kind: 'string', default: '', label: 'server name (SNI)' },
  willTopic: { kind: 'string', default: '', pattern: /^[^+#]*$/, label: 'last will topic', message: 'willTopic', explain: 'no MQTT wildcards (+ or #) in a topic to publish to' },
  willPayload: { kind: 'string', default: '', label: 'will payload' },
  willQos: { kind: 'enum', default: '0', options: QOS_LEVELS, label: 'last will QoS' },
  willRetain: { kind: 'boolean', default: false, label: 'will retain' },
}, { username: 'text', password: 'password', passphrase: 'password' });

