import { PlantwireError } from '../../src/model/errors';
import { addAdminRoute } from '../../src/runtime/admin';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import { redUtil } from '../../src/runtime/red-util';
import { parseFields } from '../../src/model/fields';
import { spec } from './fields';
import type { NodeConfig, NodeMessage, RedApi, RedNode } from '../../src/runtime/types';
import { compileSchema, describeIssues, TAG_SAMPLE_SCHEMA, validateWith, type ValidationIssue } from '../../src/transforms/validate';

const TYPE = 'plantwire-validate';

interface Config extends NodeConfig {
  schema?: string;
  property?: string;
  /** Validate each element of an array separately. */
  each?: boolean;
  onInvalid?: 'output' | 'catch' | string;
}

export = function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config) {
      const util = redUtil(RED);
      // The dialog's rules, checked once (fields.ts); then the schema is compiled.
      const settings = parseFields(spec, config as unknown as Record<string, unknown>);
      const fn = compileSchema(settings.schema);
      const prop = settings.property;
      const where = `msg.${prop}`;
      const toCatch = settings.onInvalid === 'catch';
      const status = new LiveStatus(node);
      let valid = 0;
      let invalid = 0;
      status.now('idle', toCatch ? 'invalid → Catch' : 'invalid → output 2');
      const show = (): void => status.update(invalid ? 'info' : 'ok', `${valid} valid · ${invalid} invalid`);
      const reject = (issues: ValidationIssue[], path: string, count = 1): PlantwireError =>
        new PlantwireError('invalid', `${count > 1 ? `${count} elements of ${where} are invalid: ` : ''}${describeIssues(issues, path)}`, `invalid: ${issues[0] ? `${path}${issues[0].instancePath} ${issues[0].message}` : path}`);

      onInput(node, (msg, send) => {
        try {
          const value = util.getMessageProperty(msg, prop);
          if (settings.each && Array.isArray(value)) {
            const good: unknown[] = [];
            const bad: unknown[] = [];
            const errors: Array<ValidationIssue & { index: number }> = [];
            value.forEach((item, index) => {
              const issues = validateWith(fn, item);
              if (issues.length === 0) good.push(item);
              else {
                bad.push(item);
                for (const i of issues) errors.push({ ...i, index });
              }
            });
            valid += good.length;
            invalid += bad.length;
            let out1: NodeMessage | null = null;
            if (good.length) {
              out1 = bad.length ? { ...msg } : msg;
              util.setMessageProperty(out1, prop, good, true);
            }
            if (bad.length && toCatch) {
              if (out1) send([out1, null]);
              show();
              const first = errors[0]!;
              throw reject(errors.filter((e) => e.index === first.index), `${where}[${first.index}]`, bad.length);
            }
            let out2: NodeMessage | null = null;
            if (bad.length) {
              out2 = { ...msg, validationErrors: errors };
              util.setMessageProperty(out2, prop, bad, true);
            }
            send([out1, out2]);
            show();
            return;
          }
          const issues = validateWith(fn, value);
          if (issues.length === 0) {
            valid += 1;
            send([msg, null]);
          } else {
            invalid += 1;
            if (toCatch) {
              show();
              throw reject(issues, where);
            }
            msg.validationErrors = issues;
            send([null, msg]);
          }
          show();
        } catch (err) {
          status.failed();
          throw err;
        }
      });
      onClose(node, () => status.cancel());
    },
  });

  addAdminRoute(RED, {
    method: 'get',
    path: 'validate/sample-schema',
    permission: `${TYPE}.read`,
    handler: () => TAG_SAMPLE_SCHEMA,
  });
  addAdminRoute(RED, {
    method: 'post',
    path: 'validate/check',
    // Compiling a schema generates code (Ajv): only for users who may change flows.
    permission: `${TYPE}.write`,
    handler(req) {
      const body = (req.body ?? {}) as { schema?: unknown; data?: unknown };
      if (typeof body.schema !== 'string') throw new PlantwireError('bad-request', 'send {"schema": "<JSON Schema text>"}');
      const fn = compileSchema(body.schema);
      if (!('data' in body)) return { ok: true };
      const issues = validateWith(fn, body.data);
      return { ok: true, valid: issues.length === 0, issues, message: issues.length ? describeIssues(issues) : '' };
    },
  });
};
