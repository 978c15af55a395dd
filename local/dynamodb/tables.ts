import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { resourcesOfType, Template } from '../core/assembly';
import type { Resolver } from '../core/cfn-resolver';
import type { OnStop } from '../core/cleanups';
import { log } from '../core/log';
import { DynamoEmulator, DynamoHooks, ensureTable, startDynamo, sweepExpired, TableSpec } from './emulator';

/** The template's tables (AWS::DynamoDB::Table and GlobalTable) as the emulator creates them. */
export function readTables(template: Template, resolver: Resolver): TableSpec[] {
  return [...resourcesOfType(template, 'AWS::DynamoDB::Table'), ...resourcesOfType(template, 'AWS::DynamoDB::GlobalTable')].map(([id, res]) => {
    const p = resolver.resolve(res.Properties ?? {}) as Record<string, unknown>;
    const indexes = (p.GlobalSecondaryIndexes as Array<Record<string, unknown>> | undefined)?.map((i) => ({
      IndexName: i.IndexName,
      KeySchema: i.KeySchema,
      Projection: i.Projection,
      ProvisionedThroughput: i.ProvisionedThroughput,
    }));
    const input = {
      TableName: resolver.physicalName(id),
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      BillingMode: p.ProvisionedThroughput ? 'PROVISIONED' : 'PAY_PER_REQUEST',
      ProvisionedThroughput: p.ProvisionedThroughput,
      GlobalSecondaryIndexes: indexes,
      LocalSecondaryIndexes: p.LocalSecondaryIndexes,
    } as CreateTableCommandInput;
    const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    const sse = p.SSESpecification as { SSEEnabled?: boolean; SSEType?: string; KMSMasterKeyId?: string } | undefined;
    const pitr = p.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean; RecoveryPeriodInDays?: number } | undefined;
    return {
      logicalId: id,
      input,
      ttlAttribute: ttl?.Enabled ? ttl.AttributeName : undefined,
      sse: sse?.SSEEnabled ? { kmsKey: sse.KMSMasterKeyId } : undefined,
      pointInTimeRecoveryDays: pitr?.PointInTimeRecoveryEnabled ? Number(pitr.RecoveryPeriodInDays ?? 35) : undefined,
      deletionProtection: p.DeletionProtectionEnabled === true,
      createdAt: new Date(),
    };
  });
}

export interface StartDynamoDbOptions {
  readonly port: number;
  /** Where the tables persist; in memory when undefined. */
  readonly directory?: string;
  readonly tables: readonly TableSpec[];
  readonly hooks: DynamoHooks;
  /** Seconds between TTL sweeps. */
  readonly ttlSweepSeconds: number;
}

/** Starts the DynamoDB emulator, creates the template's tables and sweeps expired items as TTL does. */
export async function startDynamoDb(options: StartDynamoDbOptions, onStop: OnStop): Promise<DynamoEmulator> {
  const dynamo = await startDynamo(options.port, options.directory, options.hooks);
  onStop(() => dynamo.close());
  for (const spec of options.tables) {
    const state = await ensureTable(dynamo.client, spec);
    log('runtime', `table ${spec.input.TableName} ${state}${spec.ttlAttribute ? ` (TTL on ${spec.ttlAttribute})` : ''}`);
  }
  const sweep = async () => {
    for (const t of options.tables) {
      const n = await sweepExpired(dynamo.client, t, Math.floor(Date.now() / 1000)).catch(() => 0);
      if (n) log('ttl', `${t.input.TableName}: ${n} expired item(s) deleted`);
    }
  };
  await sweep();
  // The next sweep is scheduled when one ends, so two sweeps never overlap however slow a scan is.
  let sweeper: NodeJS.Timeout | undefined;
  let stopped = false;
  const nextSweep = () => {
    if (stopped) return;
    sweeper = setTimeout(() => void sweep().finally(nextSweep), Math.max(0.1, options.ttlSweepSeconds) * 1000);
  };
  nextSweep();
  onStop(() => {
    stopped = true;
    clearTimeout(sweeper);
  });
  return dynamo;
}
