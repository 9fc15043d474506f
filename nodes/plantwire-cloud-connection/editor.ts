// Editor definition of plantwire-cloud-connection (config node). Compiled to a plain
// script and inlined into dist/nodes/plantwire-cloud-connection.html by scripts/build.mjs.
import { connectionTest, invalid } from '../editor/kit';

interface CloudConnectionEditorProps extends EditorNodeProperties {
  version: number;
  target: string;
  endpoint: string;
  thingName: string;
  hubHost: string;
  deviceId: string;
  apiVersion: string;
  sasTtl: number;
  gatewayHost: string;
  s3Endpoint: string;
  region: string;
  bucket: string;
  pathStyle: boolean;
  keyPattern: string;
  format: string;
  gzip: boolean;
  url: string;
  method: string;
  headers: string;
  webhookFormat: string;
  authHeaderName: string;
  flushCount: number;
  flushBytes: number;
  flushSeconds: number;
  timeout: number;
  ca: string;
  rejectUnauthorized: boolean;
}

interface CloudConnectionCredentials {
  cert: string;
  key: string;
  passphrase: string;
  deviceKey: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  authHeader: string;
}

/**
 * A validator for a field that only matters for some targets: `ok(value)` is
 * checked when the selected target is one of `targets`; the message is the
 * locale's "validation.<key>" (Node-RED 4 shows a returned string).
 */
function plantwireCloudField(targets: string[], ok: (v: string) => boolean, key: string) {
  return function (this: CloudConnectionEditorProps, v: string, opt?: object): boolean {
    const sel = $('#node-config-input-target');
    const target = String(sel.length ? sel.val() : this.target);
    if (targets.indexOf(target) < 0 || ok(String(v === undefined || v === null ? '' : v).trim())) return true;
    return invalid(this, opt, 'plantwire-cloud-connection.validation.' + key);
  };
}

const plantwireCloudHost = (v: string): boolean => /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(v);
const plantwireCloudNumber = (min: number, max: number) => (v: string): boolean => v !== '' && !isNaN(Number(v)) && Number(v) >= min && Number(v) <= max;

RED.nodes.registerType<CloudConnectionEditorProps, CloudConnectionCredentials>('plantwire-cloud-connection', {
  category: 'config',
  color: '#C7E9F9',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    target: {
      value: 'aws-iot',
      required: true,
      validate: function (this: CloudConnectionEditorProps, v: string, opt?: object) {
        return ['aws-iot', 'azure-iot', 's3', 'webhook'].indexOf(String(v)) >= 0 || invalid(this, opt, 'plantwire-cloud-connection.validation.target');
      },
    },
    endpoint: { value: '', validate: plantwireCloudField(['aws-iot'], plantwireCloudHost, 'endpoint') },
    thingName: { value: '', validate: plantwireCloudField(['aws-iot'], (v) => /^[a-zA-Z0-9:_-]{1,128}$/.test(v), 'thingName') },
    hubHost: { value: '', validate: plantwireCloudField(['azure-iot'], (v) => /^[A-Za-z0-9.-]+$/.test(v), 'hubHost') },
    deviceId: { value: '', validate: plantwireCloudField(['azure-iot'], (v) => /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/.test(v), 'deviceId') },
    apiVersion: { value: '2021-04-12', validate: plantwireCloudField(['azure-iot'], (v) => v === '' || /^\d{4}-\d{2}-\d{2}(-preview)?$/.test(v), 'apiVersion') },
    sasTtl: { value: 3600, validate: plantwireCloudField(['azure-iot'], plantwireCloudNumber(60, 31536000), 'sasTtl') },
    gatewayHost: { value: '', validate: plantwireCloudField(['azure-iot'], (v) => v === '' || plantwireCloudHost(v), 'gatewayHost') },
    s3Endpoint: { value: '', validate: plantwireCloudField(['s3'], (v) => /^https?:\/\/[^\s/]+/.test(v), 's3Endpoint') },
    region: { value: 'us-east-1', validate: plantwireCloudField(['s3'], (v) => /^[a-z0-9-]+$/.test(v), 'region') },
    bucket: { value: '', validate: plantwireCloudField(['s3'], (v) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v), 'bucket') },
    pathStyle: { value: true },
    keyPattern: {
      value: '',
      // Empty = the default pattern; otherwise known placeholders only, and {uuid} or {seq} so batches do not overwrite each other.
      validate: plantwireCloudField(
        ['s3'],
        (v) => {
          if (v === '') return true;
          const names = (v.match(/\{[^}]*\}/g) || []).map((m) => m.slice(1, -1));
          const known = ['yyyy', 'MM', 'dd', 'HH', 'mm', 'asset', 'uuid', 'seq'];
          return names.every((n) => known.indexOf(n) >= 0) && (names.indexOf('uuid') >= 0 || names.indexOf('seq') >= 0) && !/[\\{}]/.test(v.replace(/\{[A-Za-z]+\}/g, ''));
        },
        'keyPattern',
      ),
    },
    format: { value: 'ndjson' },
    gzip: { value: false },
    url: { value: '', validate: plantwireCloudField(['webhook'], (v) => /^https?:\/\/[^\s/]+/.test(v), 'url') },
    method: { value: 'POST' },
    headers: {
      value: '',
      validate: plantwireCloudField(
        ['webhook'],
        (v) => {
          if (v === '') return true;
          try {
            const o = JSON.parse(v) as unknown;
            return !!o && typeof o === 'object' && !Array.isArray(o);
          } catch (e) {
            return false;
          }
        },
        'headers',
      ),
    },
    webhookFormat: { value: 'json' },
    authHeaderName: { value: 'Authorization', validate: plantwireCloudField(['webhook'], (v) => v === '' || /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v), 'authHeaderName') },
    flushCount: { value: 500, validate: plantwireCloudField(['s3', 'webhook'], plantwireCloudNumber(1, 1000000), 'flushCount') },
    flushBytes: { value: 1048576, validate: plantwireCloudField(['s3', 'webhook'], plantwireCloudNumber(1024, 1073741824), 'flushBytes') },
    flushSeconds: { value: 60, validate: plantwireCloudField(['s3', 'webhook'], plantwireCloudNumber(0.1, 86400), 'flushSeconds') },
    timeout: { value: 30, validate: plantwireCloudField(['aws-iot', 'azure-iot', 's3', 'webhook'], plantwireCloudNumber(1, 600), 'timeout') },
    ca: { value: '', validate: plantwireCloudField(['aws-iot', 'azure-iot', 's3', 'webhook'], (v) => v === '' || v.indexOf('-----BEGIN CERTIFICATE-----') >= 0 || !/[\r\n]/.test(v), 'ca') },
    rejectUnauthorized: { value: true },
  },
  credentials: {
    cert: { type: 'text' },
    key: { type: 'password' },
    passphrase: { type: 'password' },
    deviceKey: { type: 'password' },
    accessKeyId: { type: 'text' },
    secretAccessKey: { type: 'password' },
    sessionToken: { type: 'password' },
    authHeader: { type: 'password' },
  },
  icon: 'plantwire-cloud-connection.svg',
  paletteLabel: 'cloud connection',
  label: function (this: CloudConnectionEditorProps) {
    if (this.name) return this.name;
    switch (this.target) {
      case 'azure-iot':
        return 'Azure ' + (this.deviceId || '?') + '@' + (this.hubHost || '?');
      case 's3':
        return 'S3 ' + (this.bucket || '?');
      case 'webhook':
        return 'webhook ' + String(this.url || '?').replace(/^https?:\/\//, '');
      default:
        return 'AWS ' + (this.thingName || '?') + '@' + String(this.endpoint || '?').split('.')[0];
    }
  },
  oneditprepare: function () {
    connectionTest(this);
    const toggle = function () {
      const target = String($('#node-config-input-target').val());
      ['aws-iot', 'azure-iot', 's3', 'webhook'].forEach(function (t) {
        $('.plantwire-cloud-' + t).toggle(t === target);
      });
      $('.plantwire-cloud-batch').toggle(target === 's3' || target === 'webhook');
    };
    $('#node-config-input-target').on('change', toggle);
    toggle();
  },
});
