import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The one stack the local runtime runs, as `cdk synth` wrote it. */
export interface StackAssembly {
  readonly stackName: string;
  /** Directory holding the template and the `asset.<hash>/` folders. */
  readonly directory: string;
  readonly templateFile: string;
  readonly template: Template;
}

export interface Template {
  readonly Resources: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { Type: string; Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

interface Manifest {
  artifacts?: Record<string, { type: string; displayName?: string; properties?: Record<string, unknown> }>;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/**
 * Finds the stage's nested cloud assembly inside `cdk.out` and its single stack. The stage is named
 * (default `Local`) because the same cdk.out also holds the pipeline stack and its deployment stages.
 */
export function loadStack(cdkOut: string, stageName: string): StackAssembly {
  const topFile = join(cdkOut, 'manifest.json');
  if (!existsSync(topFile)) {
    throw new Error(`No cloud assembly at ${cdkOut} (missing manifest.json). Run \`npx cdk synth\` first.`);
  }
  const top = readJson<Manifest>(topFile);
  const nested = Object.entries(top.artifacts ?? {}).filter(([, a]) => a.type === 'cdk:cloud-assembly');
  const stage = nested.find(
    ([id, a]) => a.displayName === stageName || a.properties?.displayName === stageName || id === `assembly-${stageName}`,
  );
  if (!stage) {
    const names = nested.map(([id, a]) => a.displayName ?? id).join(', ') || 'none';
    throw new Error(`Cloud assembly ${cdkOut} has no stage "${stageName}" (nested assemblies: ${names}).`);
  }
  const directory = join(cdkOut, String(stage[1].properties?.directoryName ?? stage[0]));
  const manifest = readJson<Manifest>(join(directory, 'manifest.json'));
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1) {
    throw new Error(
      `Stage "${stageName}" must hold exactly one stack for the local runtime, found ${stacks.length}: ` +
        stacks.map(([id]) => id).join(', '),
    );
  }
  const [artifactId, artifact] = stacks[0];
  const templateFile = join(directory, String(artifact.properties?.templateFile));
  return {
    stackName: String(artifact.properties?.stackName ?? artifactId),
    directory: dirname(templateFile),
    templateFile,
    template: readJson<Template>(templateFile),
  };
}

/** Resources of one CloudFormation type, as [logicalId, resource] pairs. */
export function resourcesOfType(template: Template, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
