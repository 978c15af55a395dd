import * as Library from 'aws-local-stepfunctions';

/**
 * aws-local-stepfunctions, pinned to an exact version and changed by patches/aws-local-stepfunctions+*.patch
 * (applied by patch-package at install; each change is explained there). The patch adds the two
 * internals below; without them the install skipped the patch, and the start says so.
 */
export interface LibraryInternals {
  processPayloadTemplate(template: unknown, json: unknown, context: unknown): unknown;
  jsonPathQuery(path: string, json: unknown, context: unknown, options?: { ignoreDefinedValueConstraint?: boolean }): unknown;
}

const patched = Library as typeof Library & Partial<LibraryInternals>;
if (typeof patched.jsonPathQuery !== 'function' || typeof patched.processPayloadTemplate !== 'function') {
  throw new Error('aws-local-stepfunctions is not patched: run `npm ci` (patch-package applies patches/ at install)');
}

export const internals: LibraryInternals = { processPayloadTemplate: patched.processPayloadTemplate, jsonPathQuery: patched.jsonPathQuery };
export const { StateMachine, ExecutionAbortedError, ExecutionTimeoutError } = Library;
export type { StateMachineDefinition } from 'aws-local-stepfunctions';
