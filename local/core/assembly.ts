import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CloudAssembly, CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';

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

/** A nested stage assembly (`assembly-<Stage>`), named as the app names the stage ('Local', 'Pipeline/Dev'). */
export interface StageAssembly {
  readonly name: string;
  /** The artifact id, e.g. 'assembly-Pipeline-Dev'. */
  readonly id: string;
  readonly assembly: CloudAssembly;
}

/**
 * Opens the cloud assembly in `cdkOut` with aws-cdk-lib's own reader. The version check is skipped: the
 * runtime only reads templates, so an assembly from a newer CDK CLI is still fine.
 */
export function readAssembly(cdkOut: string): CloudAssembly {
  if (!existsSync(join(cdkOut, 'manifest.json'))) {
    throw new Error(`No cloud assembly at ${cdkOut} (missing manifest.json). Run \`npx cdk synth\` first.`);
  }
  return new CloudAssembly(cdkOut, { skipVersionCheck: true });
}

/** Nested stage assemblies, depth first (a stage may itself contain stages). */
export function nestedStages(assembly: CloudAssembly): StageAssembly[] {
  return assembly.nestedAssemblies.flatMap((nested) => {
    // cdk writes the stage's path as displayName; without one the artifact id stands in.
    const name = nested.displayName === nested.id ? nested.id.replace(/^assembly-/, '') : nested.displayName;
    return [{ name, id: nested.id, assembly: nested.nestedAssembly }, ...nestedStages(nested.nestedAssembly)];
  });
}

/** The stacks directly inside one assembly (not those of its nested assemblies). */
export function stacksOf(assembly: CloudAssembly): CloudFormationStackArtifact[] {
  return assembly.stacks;
}

/** A stack artifact as the runtime reads it: its name, template and the folder its assets sit in. */
export function stackAssembly(artifact: CloudFormationStackArtifact): StackAssembly {
  return {
    stackName: artifact.stackName,
    directory: dirname(artifact.templateFullPath),
    templateFile: artifact.templateFullPath,
    template: artifact.template as Template,
  };
}

/**
 * Finds the stage's nested cloud assembly inside `cdkOut` and its single stack. The stage is named
 * (default `Local`) because the same cdk.out also holds the pipeline stack and its deployment stages.
 */
export function loadStack(cdkOut: string, stageName: string): StackAssembly {
  const nested = readAssembly(cdkOut).nestedAssemblies;
  const stage = nested.find((a) => a.displayName === stageName || a.manifest.displayName === stageName || a.id === `assembly-${stageName}`);
  if (!stage) {
    const names = nested.map((a) => a.manifest.displayName ?? a.id).join(', ') || 'none';
    throw new Error(`Cloud assembly ${cdkOut} has no stage "${stageName}" (nested assemblies: ${names}).`);
  }
  const stacks = stacksOf(stage.nestedAssembly);
  if (stacks.length !== 1) {
    throw new Error(
      `Stage "${stageName}" must hold exactly one stack for the local runtime, found ${stacks.length}: ` +
        stacks.map((s) => s.id).join(', '),
    );
  }
  return stackAssembly(stacks[0]);
}

/** Resources of one CloudFormation type, as [logicalId, resource] pairs. */
export function resourcesOfType(template: Template, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
