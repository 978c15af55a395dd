/**
 * Reads a cloud assembly (cdk.out) generically: the top-level manifest, nested stage assemblies, and the
 * templates of their CloudFormation stacks. No knowledge of this app's stack names.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnTemplate, StackTemplate } from './graph';

interface Artifact {
  readonly type: string;
  readonly displayName?: string;
  readonly properties?: {
    readonly templateFile?: string;
    readonly stackName?: string;
    readonly directoryName?: string;
    readonly displayName?: string;
  };
}

interface Manifest {
  readonly artifacts?: Record<string, Artifact>;
}

export interface StageAssembly {
  /** The stage's display name, e.g. 'Local' or 'Pipeline/Dev'. */
  readonly name: string;
  readonly directory: string;
}

export interface SelectedStacks {
  /** What was drawn: a stage name, or '(top level)'. */
  readonly stage: string;
  readonly stacks: StackTemplate[];
}

export const TOP_LEVEL = '(top level)';
const DEFAULT_STAGES = ['Local', 'Dev'];

function readManifest(directory: string): Manifest {
  const file = join(directory, 'manifest.json');
  if (!existsSync(file)) throw new Error(`No cloud assembly manifest at ${file}`);
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}

/** Stacks directly inside one assembly directory (not those of nested assemblies). */
export function readStacks(directory: string): StackTemplate[] {
  return Object.entries(readManifest(directory).artifacts ?? {})
    .filter(([, a]) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
    .map(([id, a]) => ({
      stackName: a.properties?.stackName ?? a.displayName ?? id,
      template: JSON.parse(readFileSync(join(directory, a.properties!.templateFile!), 'utf8')) as CfnTemplate,
    }));
}

/** Nested stage assemblies, depth first (a stage may itself contain stages). */
export function listStages(directory: string): StageAssembly[] {
  const stages: StageAssembly[] = [];
  for (const [id, a] of Object.entries(readManifest(directory).artifacts ?? {})) {
    if (a.type !== 'cdk:cloud-assembly') continue;
    const nested = join(directory, a.properties?.directoryName ?? id);
    stages.push({ name: a.properties?.displayName ?? a.displayName ?? id.replace(/^assembly-/, ''), directory: nested });
    stages.push(...listStages(nested));
  }
  return stages;
}

/** 'Dev' matches 'Dev', 'Pipeline/Dev' and the artifact-style 'Pipeline-Dev'. */
function stageMatches(stage: StageAssembly, wanted: string): boolean {
  const last = stage.name.split(/[/-]/).pop();
  return stage.name === wanted || last === wanted;
}

/**
 * The stacks to draw: the requested stage, else the first of Local/Dev, else the top-level stacks.
 * Top-level stacks holding a CodePipeline are added to a nested stage, because the deployment pipeline is
 * part of the architecture even though it lives outside the stages it deploys.
 */
export function selectStacks(assemblyDir: string, wantedStage?: string, withPipeline = true): SelectedStacks {
  const stages = listStages(assemblyDir);
  const topLevel = readStacks(assemblyDir);
  let stage: StageAssembly | undefined;
  if (wantedStage) {
    if (wantedStage === TOP_LEVEL) return { stage: TOP_LEVEL, stacks: topLevel };
    stage = stages.find((s) => stageMatches(s, wantedStage));
    if (!stage) {
      const known = stages.map((s) => s.name).join(', ') || 'none';
      throw new Error(`Stage '${wantedStage}' not found in ${assemblyDir} (stages: ${known})`);
    }
  } else {
    stage = DEFAULT_STAGES.map((name) => stages.find((s) => stageMatches(s, name))).find(Boolean);
  }
  if (!stage) return { stage: TOP_LEVEL, stacks: topLevel };

  const pipelines = withPipeline
    ? topLevel.filter((s) =>
        Object.values(s.template.Resources ?? {}).some((r) => r.Type === 'AWS::CodePipeline::Pipeline'),
      )
    : [];
  return { stage: stage.name, stacks: [...readStacks(stage.directory), ...pipelines] };
}
