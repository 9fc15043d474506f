/** Node builders for test flows on tab `tab1`: generic ones (capture, catch, status, inject, function) and MQTT ones. */
export const TAB = { id: 'tab1', type: 'tab', label: 'test' };

export function brokerNode(id: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'plantwire-mqtt-broker',
    name: '',
    version: 1,
    url,
    protocolVersion: '4',
    clientId: '',
    clean: true,
    sessionExpiry: 86400,
    keepalive: 60,
    reconnectPeriod: 500,
    connectTimeout: 5000,
    tls: false,
    ca: '',
    cert: '',
    key: '',
    rejectUnauthorized: true,
    servername: '',
    willTopic: '',
    willPayload: '',
    willQos: '0',
    willRetain: false,
    ...extra,
  };
}

export function mqttIn(id: string, broker: string, wires: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'plantwire-mqtt-in',
    z: 'tab1',
    name: '',
    version: 1,
    broker,
    format: 'json',
    topics: '',
    qos: '1',
    assetLevels: 0,
    group: '',
    tagNames: 'path',
    rebirth: true,
    rebirthHoldoff: 5000,
    hostId: '',
    output: 'each',
    x: 100,
    y: 100,
    wires: [wires],
    ...extra,
  };
}

export function mqttOut(id: string, broker: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'plantwire-mqtt-out',
    z: 'tab1',
    name: '',
    version: 1,
    broker,
    mode: 'uns',
    template: '{asset}/{tag}',
    asset: '',
    payload: 'sample',
    qos: '1',
    retain: false,
    group: 'Plantwire',
    edgeNode: '',
    device: '',
    aliases: true,
    primaryHost: '',
    buffer: 10000,
    metrics: [],
    x: 300,
    y: 100,
    wires: [],
    ...extra,
  };
}

export const capture = (id: string, name = id): Record<string, unknown> => ({ id, type: 'test-capture', z: 'tab1', name, x: 500, y: 100, wires: [] });

export function inject(id: string, target: string, payload: unknown, topic = ''): Record<string, unknown> {
  const json = typeof payload !== 'string';
  return {
    id,
    type: 'inject',
    z: 'tab1',
    props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
    topic,
    payload: json ? JSON.stringify(payload) : payload,
    payloadType: json ? 'json' : 'str',
    once: false,
    repeat: '',
    x: 50,
    y: 100,
    wires: [[target]],
  };
}

/** An inject node that also sets `msg.<prop>` (a typed input's source): `vt` 'str', 'num', 'json', … as in the inject node. */
export function withProp(node: Record<string, unknown>, prop: string, v: string, vt = 'str'): Record<string, unknown> {
  return { ...node, props: [...(node.props as unknown[]), { p: prop, v, vt }] };
}

/** A Catch node (scope null = the whole flow) wired to `target`. */
export const catcher = (id: string, scope: string[] | null, target = 'errs'): Record<string, unknown> => ({ id, type: 'catch', z: 'tab1', scope, uncaught: false, x: 50, y: 200, wires: [[target]] });
/** A Status node (scope null = the whole flow) wired to `target`. */
export const statusOf = (id: string, scope: string[] | null, target = 'status'): Record<string, unknown> => ({ id, type: 'status', z: 'tab1', scope, x: 50, y: 300, wires: [[target]] });

/** An inject node sending `payload` as JSON (and a topic): `payload, target` order. */
export const injectValue = (id: string, payload: unknown, target: string, topic = ''): Record<string, unknown> => inject(id, target, payload, topic);

/** An inject node sending a timestamp: starts a function node that builds what JSON cannot carry (NaN). */
export const injectDate = (id: string, target: string): Record<string, unknown> => ({ id, type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', once: false, repeat: '', x: 50, y: 200, wires: [[target]] });

/** A function node. */
export const fn = (id: string, code: string, target: string): Record<string, unknown> => ({ id, type: 'function', z: 'tab1', func: code, outputs: 1, x: 200, y: 200, wires: [[target]] });

/** A plantwire-smtp-server config node (no auth, no TLS: a local test server or the catcher). */
export function smtpServerNode(id: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'plantwire-smtp-server', name: '', version: 1, host: '127.0.0.1', port, security: 'none', requireTLS: false, rejectUnauthorized: true, ca: '', authType: 'none', oauthPreset: 'custom', tenant: '', accessUrl: '', from: 'plant@example.com', maxConnections: 2, timeout: 5, ...extra };
}

/** A plantwire-email-out node. */
export function emailOut(id: string, server: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'plantwire-email-out',
    z: 'tab1',
    name: '',
    version: 1,
    server,
    to: 'shift@example.com',
    cc: '',
    from: '',
    mode: 'each',
    digestSeconds: 300,
    rateCount: 100,
    ratePeriod: 60,
    subject: '',
    html: '',
    text: '',
    csv: true,
    maxRows: 500,
    bufferMode: 'memory',
    x: 300,
    y: 100,
    wires: [],
    ...extra,
  };
}
/** A plantwire-historian-db config node (PostgreSQL by default: 127.0.0.1:5432, database test). */
export function historianDb(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'plantwire-historian-db',
    name: '',
    version: 1,
    kind: 'postgres',
    host: '127.0.0.1',
    port: 5432,
    database: 'test',
    schema: 'public',
    table: 'plantwire_samples',
    ssl: false,
    ca: '',
    rejectUnauthorized: true,
    skipDuplicates: true,
    url: 'http://127.0.0.1:8086',
    api: '2',
    db: '',
    retentionPolicy: '',
    org: '',
    bucket: '',
    measurement: 'plantwire',
    precision: 'ms',
    ...extra,
  };
}

/** A plantwire-historian-out node on tab1 (memory buffer by default). */
export function historianOut(id: string, db: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'plantwire-historian-out', z: 'tab1', name: '', version: 1, db, batchSize: 100, bufferMode: 'memory', x: 300, y: 100, wires: [], ...extra };
}

/** A plantwire-nats-connection config node (the local NATS by default). */
export function natsConnection(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'plantwire-nats-connection', name: '', version: 1, servers: 'nats://127.0.0.1:4222', clientName: '', reconnectWait: 500, tls: false, ca: '', cert: '', key: '', ...extra };
}

const NATS_STREAM = { subjects: 'uns.>', retention: 'limits', replicas: 1, storage: 'file', maxAgeHours: 1, duplicateWindow: 120 };

/** A plantwire-nats-out node on tab1. */
export function natsOut(id: string, connection: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'plantwire-nats-out', z: 'tab1', name: '', version: 1, connection, subject: 'uns.{asset}.{tag}', asset: '', payload: 'sample', dedup: 'sample', ackTimeout: 5, stream: 'PLANTWIRE', ...NATS_STREAM, x: 300, y: 100, wires: [], ...extra };
}

/** A plantwire-nats-in node on tab1 (outputs: messages, dead letters). */
export function natsIn(id: string, connection: string, wires: string[][], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'plantwire-nats-in', z: 'tab1', name: '', version: 1, connection, stream: 'PLANTWIRE', durable: 'plantwire', filter: '', ackMode: 'node', ackWait: 30, maxDeliver: 5, maxAckPending: 10000, inFlight: 1000, nakDelay: 1, deliverFrom: 'all', json: true, ...NATS_STREAM, x: 100, y: 100, wires, ...extra };
}

/** A plantwire-nats-ack node on tab1. */
export function natsAck(id: string, wires: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'plantwire-nats-ack', z: 'tab1', name: '', version: 1, action: 'ack', nakDelay: '', x: 400, y: 100, wires: [wires], ...extra };
}
