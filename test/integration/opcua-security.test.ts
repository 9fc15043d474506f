/**
 * OPC UA security against a simulator that only offers SignAndEncrypt with
 * Basic256Sha256 and only accepts a user name and password: the unknown
 * server certificate is refused with a clear status (and a log line naming
 * it), the trust route trusts it, then data flows; a wrong password and a
 * deprecated policy are refused with clear messages.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPCUACertificateManager } from 'node-opcua';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { READER, startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { TAB, capture, catcher, endpoint, opcuaIn, statusOf, until } from '../helpers/opcua';

const USER = { username: 'operator', password: 'op-secret-7' };
let rt: TestRuntime;
let plant: OpcUaPlant;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-opcua-sec-'));
  plant = await startOpcUaPlant({
    port: 0,
    lines: 1,
    updateMs: 200,
    pkiDir: path.join(tmp, 'server-pki'),
    securityModes: ['SignAndEncrypt'],
    allowAnonymous: false,
    users: [USER],
  });
  rt = await startTestRuntime();
}, 60_000);

afterAll(async () => {
  await rt?.stop();
  await plant?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 30_000);

const secure = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  endpoint(id, plant.endpointUrl, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', auth: 'username', credentials: { ...USER }, ...extra });

describe('OPC UA security: SignAndEncrypt + Basic256Sha256 + user name', () => {
  it('refuses the unknown server certificate with a clear status until it is trusted, then delivers data', async () => {
    await rt.deploy([
      TAB,
      secure('ep'),
      opcuaIn('in', 'ep', [{ browsePath: '/Objects/Plant/Line1/Filler/FillCount', tag: 'fills' }]),
      statusOf('st', ['in'], 'status'),
      capture('cap'),
      capture('status'),
    ]);
    const refused = await until('the untrusted-certificate status', () => rt.captured('status').find((s) => /untrusted server cert/.test(s.msg.status.text)));
    expect(refused.msg.status).toMatchObject({ fill: 'red', shape: 'ring', text: 'untrusted server cert: Trust in endpoint' });
    const warning = await until('a log line naming the certificate', () => rt.logs.find((l) => l.level === 'warn' && /is not trusted/.test(l.msg)));
    expect(warning.msg).toMatch(/"Plantwire plant simulator@[^"]+" \(SHA-1 [0-9a-f]{40}/);
    expect(warning.msg).toMatch(/press "Trust server certificate"|trusted\/certs/);
    expect(rt.captured('cap'), 'no data from an untrusted server').toHaveLength(0);

    const state = await rt.admin<{ phase: string; pendingCertificate: { subject: string; thumbprint: string } }>('GET', '/plantwire/opcua/ep/status');
    expect(state.body.phase).toBe('untrusted');
    expect(state.body.pendingCertificate.subject).toMatch(/^Plantwire plant simulator/);

    // Trusting needs write permission.
    const readerToken = await rt.token(READER);
    const denied = await fetch(`${rt.url}/plantwire/opcua/ep/trust`, { method: 'POST', headers: { authorization: `Bearer ${readerToken}` } });
    expect(denied.status).toBe(401);
    expect(rt.captured('cap')).toHaveLength(0);

    const trusted = await rt.admin<{ trusted: { subject: string; thumbprint: string } }>('POST', '/plantwire/opcua/ep/trust');
    expect(trusted.status, JSON.stringify(trusted.body)).toBe(200);
    expect(trusted.body.trusted.thumbprint).toBe(state.body.pendingCertificate.thumbprint);
    const trustedDir = path.join(rt.userDir, 'plantwire', 'opcua', 'pki', 'trusted', 'certs');
    expect(fs.readdirSync(trustedDir).some((f) => f.includes(trusted.body.trusted.thumbprint)), 'the certificate is in the trusted store').toBe(true);

    const [first] = await rt.waitFor('cap', 1, 20_000);
    expect(first!.msg.payload[0]).toMatchObject({ tag: 'fills', quality: 'good' });
    await until('a green status', () => rt.captured('status').find((s) => s.msg.status.fill === 'green'));
    // Plantwire's own certificate was created on first use in the PKI folder.
    expect(fs.existsSync(path.join(rt.userDir, 'plantwire', 'opcua', 'pki', 'own', 'certs', 'client_certificate.pem'))).toBe(true);
  }, 60_000);

  it('a wrong password is refused with a clear status; a deprecated policy is refused unless allowed', async () => {
    await rt.deploy([
      TAB,
      secure('wrong', { credentials: { username: USER.username, password: 'nope' } }),
      secure('old', { securityPolicy: 'Basic256' }),
      opcuaIn('in1', 'wrong', [{ nodeId: 'ns=2;s=Line1/Speed' }]),
      opcuaIn('in2', 'old', [{ nodeId: 'ns=2;s=Line1/Speed' }], {}, [['cap']]),
      statusOf('st', ['in1', 'in2'], 'status'),
      catcher('c', ['in2'], 'errs'),
      capture('status'),
      capture('errs'),
      capture('cap'),
    ]);
    const login = await until('the login-refused status', () => rt.captured('status').find((s) => s.msg.status.text === 'login refused: check user identity'));
    expect(login.msg.status.fill).toBe('red');
    expect(rt.logs.some((l) => l.level === 'warn' && /refused the user identity \(username\): check the user name and password/.test(l.msg))).toBe(true);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/security policy Basic256 is deprecated .* refused: use Basic256Sha256/);
    expect(rt.captured('cap')).toHaveLength(0);
  }, 60_000);

  it('logs in with an X.509 user certificate; an unreadable key file is a clear error', async () => {
    // A user certificate and key, as an operator's would be.
    const userPki = path.join(tmp, 'user-pki');
    const cm = new OPCUACertificateManager({ rootFolder: userPki, disableFileWatchers: true });
    await cm.initialize();
    const cert = path.join(userPki, 'operator.pem');
    await cm.createSelfSignedCertificate({ applicationUri: 'urn:plantwire:test:operator', subject: '/CN=operator/O=Plantwire', dns: [], startDate: new Date(), validity: 30, outputFile: cert });
    await cm.dispose();
    const key = path.join(userPki, 'own', 'private', 'private_key.pem');
    await rt.deploy([
      TAB,
      secure('x509', { auth: 'certificate', userCertificate: cert, userPrivateKey: key, credentials: {} }),
      secure('nokey', { auth: 'certificate', userCertificate: cert, userPrivateKey: path.join(tmp, 'missing-key.pem'), credentials: {} }),
      opcuaIn('in1', 'x509', [{ browsePath: '/Objects/Plant/Line1/Filler/FillCount', tag: 'fills' }]),
      opcuaIn('in2', 'nokey', [{ nodeId: 'ns=2;s=Line1/Speed' }], {}, [['cap2']]),
      statusOf('st', ['in2'], 'status'),
      capture('cap'),
      capture('cap2'),
      capture('status'),
    ]);
    const [first] = await rt.waitFor('cap', 1, 20_000);
    expect(first!.msg.payload[0]).toMatchObject({ tag: 'fills', quality: 'good' });
    const bad = await until('the unreadable-key status', () => rt.captured('status').find((s) => s.msg.status.fill === 'red'));
    expect(bad.msg.status.text).toMatch(/user certificate unreadable/);
    expect(rt.captured('cap2')).toHaveLength(0);
  }, 60_000);
});
