import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface OrdersTableProps {
  /** Physical name; ignored for a deletion-protected table, which gets a generated one. */
  readonly tableName: string;
  /** @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE */
  readonly removalPolicy?: RemovalPolicy;
  /** @default false */
  readonly deletionProtection?: boolean;
}

/** Name of the index that lists one auction's orders without a scan. */
export const AUCTION_INDEX = 'by-auction';

/**
 * Orders kept for 24 hours, keyed by customer and record_id (so two customers' ids never collide): TTL on
 * `ttl`, on-demand, point-in-time recovery, encrypted at rest (SPEC 2.2). The `by-auction` index is keyed
 * by `auction_id` and projects everything the run reads; the auction control items (partition `#auction`)
 * carry no `auction_id`, so the index holds orders only.
 */
export class OrdersTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: OrdersTableProps) {
    super(scope, id);
    const protectedTable = props.deletionProtection ?? false;
    this.table = new dynamodb.Table(this, 'Table', {
      // A create that rolls back cannot delete a protected table; with a fixed name it would block the retry.
      tableName: protectedTable ? undefined : props.tableName,
      deletionProtection: protectedTable,
      partitionKey: { name: 'customer', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'record_id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: AUCTION_INDEX,
      partitionKey: { name: 'auction_id', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'record_id', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}
