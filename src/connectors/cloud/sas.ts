/**
 * Azure IoT Hub shared access signature (SAS) tokens, as Microsoft documents
 * them ("Control access to IoT Hub using SAS", security tokens):
 *
 *   sr  = URL-encoded resource URI, for a device `{hub host}/devices/{device id}`
 *   se  = expiry, seconds since the Unix epoch
 *   sig = URL-encoded base64 HMAC-SHA256 of `{sr}\n{se}`, keyed with the
 *         base64-decoded device key
 *   token = `SharedAccessSignature sr={sr}&sig={sig}&se={se}`
 *
 * No Node-RED import; no I/O.
 */
import crypto from 'node:crypto';
import { PlantwireError } from '../../model/errors';

/** Decodes a base64 device key, refusing text that is not base64 (a common copy-paste mistake). */
export function decodeDeviceKey(key: string): Buffer {
  const k = key.trim();
  if (k === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(k) || k.length % 4 !== 0) {
    throw new PlantwireError('bad-config', 'Azure device key: not a base64 key; copy the primary (or secondary) key of the device from the Azure portal (Devices → your device), not the connection string', 'device key is not base64');
  }
  return Buffer.from(k, 'base64');
}

/** The signature over `{encodedUri}\n{expiry}` (base64, not yet URL-encoded). */
export function sasSignature(encodedUri: string, expiry: number, key: Buffer): string {
  return crypto.createHmac('sha256', key).update(`${encodedUri}\n${expiry}`, 'utf8').digest('base64');
}

/**
 * A token for an already URL-encoded resource URI (the form the Azure SDKs'
 * `SharedAccessSignature.create(resourceUri, …)` takes).
 */
export function sasToken(encodedUri: string, base64Key: string, expiry: number): string {
  if (!Number.isInteger(expiry) || expiry <= 0) throw new PlantwireError('bad-config', `SAS expiry must be a positive whole number of seconds since 1970, got ${expiry}`, 'bad SAS expiry');
  const sig = encodeURIComponent(sasSignature(encodedUri, expiry, decodeDeviceKey(base64Key)));
  return `SharedAccessSignature sr=${encodedUri}&sig=${sig}&se=${expiry}`;
}

/** `{hub host}/devices/{device id}`, URL-encoded (the `sr` of a device token). */
export function deviceResourceUri(hubHost: string, deviceId: string): string {
  return encodeURIComponent(`${hubHost}/devices/${deviceId}`);
}

/** The device token valid until `expiry` (epoch seconds). */
export function deviceSasToken(hubHost: string, deviceId: string, base64Key: string, expiry: number): string {
  return sasToken(deviceResourceUri(hubHost, deviceId), base64Key, expiry);
}

/** The expiry (epoch seconds) of a token, or null when it has none. */
export function sasExpiry(token: string): number | null {
  const m = /[?& ]se=(\d+)/.exec(token);
  return m ? Number(m[1]) : null;
}
