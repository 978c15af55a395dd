/**
 * NOT THE PRODUCT. A measurement aid for `npm run bench -- --what-if`: post-orders rebuilt with this module
 * in place of src/adapters/dynamodb-order-store.ts, so its writes go out as unconditional BatchWriteItem
 * calls of 25 instead of one conditional PutItem per order. Without the condition a POST racing an auction
 * run could turn a submitted order back into `received` (SOLUTION.md, Performance), so this only says what
 * everything else post-orders does costs once the writes are batched.
 */
import { BatchWriteCommand, NumberValue } from '@aws-sdk/lib-dynamodb';
import type { StoredOrder } from '../src/orders/order';
import type { PutAllOutcome } from '../src/orders/order-store';
import { DynamoDbOrderStore as ConditionalOrderStore, type DynamoDbOrderStoreOptions } from '../src/adapters/dynamodb-order-store';

export * from '../src/adapters/dynamodb-order-store';

export class DynamoDbOrderStore extends ConditionalOrderStore {
  constructor(private readonly whatIf: DynamoDbOrderStoreOptions) {
    super(whatIf);
  }

  override async putAll(orders: readonly StoredOrder[]): Promise<PutAllOutcome> {
    const { client, tableName } = this.whatIf;
    const chunks: StoredOrder[][] = [];
    for (let i = 0; i < orders.length; i += 25) chunks.push(orders.slice(i, i + 25));
    await Promise.all(chunks.map(async (chunk) => {
      let requests = chunk.map((order) => ({ PutRequest: { Item: { ...order, parameter_2: NumberValue.from(order.parameter_2) } } }));
      while (requests.length > 0) {
        const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }));
    return { refused: [], sent: orders.map((order) => order.record_id) };
  }
}
