/**
 * The contract between plantwire-cloud-connection / plantwire-cloud-out and
 * the cloud targets in this folder. A target is a protocol client with no
 * Node-RED import; one instance per cloud-connection config node.
 *
 * - Message targets (AWS IoT Core, Azure IoT Hub) publish each record as one
 *   MQTT message, QoS 1, and resolve `deliver` once every PUBACK arrived.
 * - Batch targets (S3-compatible storage, HTTP webhook) write one object /
 *   one request per `deliver` call, holding all its records.
 * Either way `deliver` resolving means the target acknowledged every record
 * (the buffer then drops them); throwing an error with `transient: false`
 * dead-letters the batch, anything else is retried (honouring `retryAfterMs`).
 */
export type CloudKind = 'aws-iot' | 'azure-iot' | 's3' | 'webhook';

export interface CloudRecord {
  /** Stable per record across retries (the buffer entry key): webhook Idempotency-Key, object key uniqueness. */
  key: string;
  /** When the record was accepted (epoch ms); batch keys' {date}/{hour} placeholders use the first record's. */
  ts: number;
  /** The message payload (usually tag samples, see src/model). */
  body: unknown;
  /** MQTT targets: the topic already rendered from the node's template for this record. */
  topic?: string;
  /** Azure: application properties (appended to the topic as a property bag); MQTT v5 user properties elsewhere. */
  properties?: Record<string, string>;
  /** Asset path of the record (S3 key placeholder {asset}). */
  asset?: string;
}

export type CloudState = 'connecting' | 'connected' | 'disconnected' | 'error' | 'idle';

export interface CloudStateEvent {
  state: CloudState;
  text: string;
}

export interface CloudTarget {
  readonly kind: CloudKind;
  /** true for S3/webhook: the node delivers flushes (count/size/time) rather than single records. */
  readonly batching: boolean;
  /** Connects (MQTT) or checks reachability lazily (HTTP); never throws, reports through onState. */
  start(): Promise<void>;
  /**
   * Delivers records; a target that sends them in parts (S3: an object per asset; MQTT: a PUBACK per record) calls `onPart`
   * with the keys of the records of each confirmed part. Once `signal` is aborted (the delivery timed out or the node
   * stops) the target sends no further part, aborts the request in flight where it can, and fails.
   */
  deliver(records: CloudRecord[], onPart?: (keys: string[]) => void, signal?: AbortSignal): Promise<void>;
  readonly state: CloudStateEvent;
  onState(listener: (s: CloudStateEvent) => void): () => void;
  close(): Promise<void>;
}
