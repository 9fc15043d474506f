// Editor definition of plantwire-historian-db (config node). Compiled to a plain
// script and inlined into dist/nodes/plantwire-historian-db.html by scripts/build.mjs.
import { connectionTest, invalid } from '../editor/kit';

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
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    kind: { value: 'postgres', required: true },
    host: {
      value: '127.0.0.1',
      validate: function (this: HistorianDbEditorProps, v: string, opt?: object) {
        const kind = $('#node-config-input-kind').length ? $('#node-config-input-kind').val() : this.kind;
        return kind !== 'postgres' || /^[^\s/]+$/.test(String(v || '')) || invalid(this, opt, 'plantwire-historian-db.validation.host');
      },
    },
    port: { value: 5432, validate: RED.validators.number(true) },
    database: {
      // The application's own database, not the server's maintenance database "postgres".
      value: 'plantwire',
      validate: function (this: HistorianDbEditorProps, v: string, opt?: object) {
        const kind = $('#node-config-input-kind').length ? $('#node-config-input-kind').val() : this.kind;
        return kind !== 'postgres' || String(v || '').trim() !== '' || invalid(this, opt, 'plantwire-historian-db.validation.database');
      },
    },
    schema: {
      value: 'public',
      validate: function (this: HistorianDbEditorProps, v: string, opt?: object) {
        return String(v || '') === '' || /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(String(v)) || invalid(this, opt, 'plantwire-historian-db.validation.identifier');
      },
    },
    table: {
      value: 'plantwire_samples',
      validate: function (this: HistorianDbEditorProps, v: string, opt?: object) {
        const kind = $('#node-config-input-kind').length ? $('#node-config-input-kind').val() : this.kind;
        return kind !== 'postgres' || /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(String(v || '')) || invalid(this, opt, 'plantwire-historian-db.validation.identifier');
      },
    },
    ssl: { value: false },
    ca: { value: '' },
    rejectUnauthorized: { value: true },
    skipDuplicates: { value: true },
    url: {
      value: 'http://127.0.0.1:8086',
      validate: function (this: HistorianDbEditorProps, v: string, opt?: object) {
        const kind = $('#node-config-input-kind').length ? $('#node-config-input-kind').val() : this.kind;
        return kind !== 'influx' || /^https?:\/\/[^\s/]+/.test(String(v || '')) || invalid(this, opt, 'plantwire-historian-db.validation.url');
      },
    },
    api: { value: '2' },
    db: {
      value: '',
      validate: function (this: HistorianDbEditorProps, v: string, opt?: object) {
        const kind = $('#node-config-input-kind').length ? $('#node-config-input-kind').val() : this.kind;
        const api = $('#node-config-input-api').length ? $('#node-config-input-api').val() : this.api;
        return kind !== 'influx' || String(api) !== '1' || String(v || '').trim() !== '' || invalid(this, opt, 'plantwire-historian-db.validation.db');
      },
    },
    retentionPolicy: { value: '' },
    org: {
      value: '',
      validate: function (this: HistorianDbEditorProps, v: string, opt?: object) {
        const kind = $('#node-config-input-kind').length ? $('#node-config-input-kind').val() : this.kind;
        const api = $('#node-config-input-api').length ? $('#node-config-input-api').val() : this.api;
        return kind !== 'influx' || String(api) !== '2' || String(v || '').trim() !== '' || invalid(this, opt, 'plantwire-historian-db.validation.org');
      },
    },
    bucket: {
      value: '',
      validate: function (this: HistorianDbEditorProps, v: string, opt?: object) {
        const kind = $('#node-config-input-kind').length ? $('#node-config-input-kind').val() : this.kind;
        const api = $('#node-config-input-api').length ? $('#node-config-input-api').val() : this.api;
        return kind !== 'influx' || String(api) !== '2' || String(v || '').trim() !== '' || invalid(this, opt, 'plantwire-historian-db.validation.bucket');
      },
    },
    measurement: {
      value: 'plantwire',
      validate: function (this: HistorianDbEditorProps, v: string, opt?: object) {
        const kind = $('#node-config-input-kind').length ? $('#node-config-input-kind').val() : this.kind;
        return kind !== 'influx' || (String(v || '').trim() !== '' && !/[\r\n]|\\$/.test(String(v))) || invalid(this, opt, 'plantwire-historian-db.validation.measurement');
      },
    },
    precision: { value: 'ms' },
  },
  credentials: {
    user: { type: 'text' },
    password: { type: 'password' },
    token: { type: 'password' },
  },
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
