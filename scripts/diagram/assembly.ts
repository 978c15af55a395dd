/**
 * Reads a cloud assembly (cdk.out) generically, through the local runtime's assembly reader: nested stage
 * assemblies and the templates of their CloudFormation stacks. No knowledge of this app's stack names.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { nestedStages, readAssembly, StageAssembly, stacksOf } from '../../local/core/assembly';
import type { CfnTemplate, StackTemplate } from './graph';

export interface SelectedStacks {
  /** What was drawn: a stage name, or '(top level)'. */
  readonly stage: string;
  readonly stacks: StackTemplate[];
}

export const TOP_LEVEL = '(top level)';
const DEFAULT_STAGES = ['Local', 'Dev'];

/** Stacks directly inside one assembly (not those of nested assemblies). */
function readStacks(assembly: CloudAssembly): StackTemplate[] {
  return stacksOf(assembly).map((s) => ({ stackName: s.stackName, template: s.template as CfnTemplate }));
}

/** Nested stage assemblies of the cloud assembly in `directory`, depth first. */
export function listStages(directory: string): StageAssembly[] {
  return nestedStages(readAssembly(directory));
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
  const assembly = readAssembly(assemblyDir);
  const stages = nestedStages(assembly);
  const topLevel = readStacks(assembly);
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
  return { stage: stage.name, stacks: [...readStacks(stage.assembly), ...pipelines] };
}
