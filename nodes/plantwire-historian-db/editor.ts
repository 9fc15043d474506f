// Editor definition of plantwire-historian-db (config node). Compiled to a plain
// script and inlined into dist/nodes/plantwire-historian-db.html by scripts/build.mjs.
import { connectionTest } from '../editor/kit';
import { specCredentials, specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface HistorianDbEditorProps extends EditorNodeProperties {
  version: number;
  kind: string;
  host: string;
  port: number;
  database: string;
  schema: string;
  table: string;
  ssl: boolean;
  ca: string;
  rejectUnauthorized: boolean;
  skipDuplicates: boolean;
  url: string;
  api: string;
  db: string;
  retentionPolicy: string;
  org: string;
  bucket: string;
  measurement: string;
  precision: string;
}

interface HistorianDbCredentials {
  user: string;
  password: string;
  token: string;
}

RED.nodes.registerType<HistorianDbEditorProps, HistorianDbCredentials>('plantwire-historian-db', {
  category: 'config',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  credentials: specCredentials(spec),
  icon: 'plantwire-historian-db.svg',
  paletteLabel: 'historian database',
  label: function (this: HistorianDbEditorProps) {
    if (this.name) return this.name;
    if (this.kind === 'influx') return 'InfluxDB ' + String(this.url || '').replace(/^https?:\/\//, '') + ' ' + (String(this.api) === '1' ? this.db : this.bucket);
    return 'PostgreSQL ' + (this.host || '?') + ':' + (this.port || 5432) + '/' + (this.database || '?') + ' ' + (this.table || 'plantwire_samples');
  },
  oneditprepare: function (this: HistorianDbEditorProps) {
    connectionTest(this);
    const toggle = function () {
      const kind = $('#node-config-input-kind').val();
      const api = String($('#node-config-input-api').val());
      $('.plantwire-hist-pg').toggle(kind === 'postgres');
      $('.plantwire-hist-influx').toggle(kind === 'influx');
      $('.plantwire-hist-v1').toggle(kind === 'influx' && api === '1');
      $('.plantwire-hist-v2').toggle(kind === 'influx' && api === '2');
      $('.plantwire-hist-user').toggle(kind === 'postgres' || api === '1');
      const url = String($('#node-config-input-url').val() || '');
      $('.plantwire-hist-tls').toggle((kind === 'postgres' && $('#node-config-input-ssl').is(':checked')) || (kind === 'influx' && /^https:/.test(url)));
    };
    $('#node-config-input-kind, #node-config-input-api, #node-config-input-ssl').on('change', toggle);
    $('#node-config-input-url').on('input change', toggle);
    toggle();
  },
});
