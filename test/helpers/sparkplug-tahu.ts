/**
 * The Eclipse Tahu JavaScript library (`sparkplug-payload`, a devDependency)
 * as an independent reference for tests: what Plantwire encodes must decode
 * with Tahu, and what Tahu encodes must decode with Plantwire.
 */
import * as sparkplugPayload from 'sparkplug-payload';

const tahu = sparkplugPayload.get('spBv1.0');
if (!tahu) throw new Error('sparkplug-payload does not provide the spBv1.0 namespace');

export const tahuDecode = tahu.decodePayload;
export const tahuEncode = tahu.encodePayload;
