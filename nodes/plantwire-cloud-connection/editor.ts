// Editor definition of plantwire-cloud-connection (config node). Compiled to a plain
// script and inlined into dist/nodes/plantwire-cloud-connection.html by scripts/build.mjs.
import { connectionTest } from '../editor/kit';
import { specCredentials, specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

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

RED.nodes.registerType<CloudConnectionEditorProps, CloudConnectionCredentials>('plantwire-cloud-connection', {
  category: 'config',
  color: '#C7E9F9',
  defaults: specDefaults(spec),
  credentials: specCredentials(spec),
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
