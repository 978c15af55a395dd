import './polyfills';
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname } from 'node:path';
import type * as Library from 'aws-local-stepfunctions';
import { applyJsonPathShim } from './jsonpath-shim';

/**
 * aws-local-stepfunctions 3.0.0 strips every backslash from the string an intrinsic function returns.
 * For States.JsonToString that breaks the JSON it produces as soon as a value contains a quote (a Lambda
 * error's Cause is itself JSON), so the pipeline's alert message would not parse. The library is loaded
 * from its own file with that one statement limited to the other functions; if the statement is not
 * found (library upgraded) the start fails, so the patch is reviewed instead of silently dropped.
 */
const STRIP = 'if (typeof result === "string") {\n      result = result.replaceAll("\\\\", "");';
const PATCHED = 'if (typeof result === "string" && this.funcDefinition.name !== "States.JsonToString") {\n      result = result.replaceAll("\\\\", "");';

function load(): typeof Library {
  const file = require.resolve('aws-local-stepfunctions');
  const source = readFileSync(file, 'utf8');
  if (!source.includes(STRIP)) {
    throw new Error(`${file} changed: review the States.JsonToString patch in local/sfn-library.ts`);
  }
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  (mod as unknown as { _compile(code: string, filename: string): void })._compile(source.replace(STRIP, PATCHED), file);
  return mod.exports as typeof Library;
}

applyJsonPathShim();
export const { StateMachine, ExecutionAbortedError, ExecutionTimeoutError } = load();
export type { StateMachineDefinition } from 'aws-local-stepfunctions';
