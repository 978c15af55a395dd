/**
 * The baseline post-orders is measured against (bench/ingest-handlers.ts): the least a function could do
 * to store a POST /orders body. It parses, stamps `ttl`, and writes with BatchWriteItem in chunks of 25,
 * all chunks at once. No validation, no locks, no auctions, no Powertools, no exact decimals. Bundled
 * like every function of the product (bench/bundle.ts); never deployed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const tableName = process.env.ORDERS_TABLE_NAME ?? '';
const ttlSeconds = Number(process.env.ORDER_TTL_HOURS ?? 24) * 3600;
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));

interface ProxyEvent {
  readonly body: string | null;
  readonly requestContext?: { readonly identity?: { readonly apiKeyId?: string } };
}

export async function handler(event: ProxyEvent): Promise<{ statusCode: number; body: string }> {
  const orders = JSON.parse(event.body ?? '[]') as Record<string, unknown>[];
  const customer = event.requestContext?.identity?.apiKeyId ?? 'default';
  const ttl = Math.floor(Date.now() / 1000) + ttlSeconds;
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < orders.length; i += 25) {
    chunks.push(orders.slice(i, i + 25).map((order) => ({ ...order, customer, ttl })));
  }
  await Promise.all(chunks.map(async (items) => {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    // Unprocessed items are sent again: storing everything is the one thing even a minimal handler must do.
    while (requests.length > 0) {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  }));
  return { statusCode: 201, body: JSON.stringify({ accepted: orders.length }) };
}
