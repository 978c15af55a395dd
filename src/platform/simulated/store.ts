/**
 * Where the simulated platform keeps what it was sent. JSON travels as text so the logic decides how to
 * parse it (losslessly, for parameter_2). The S3 implementation is src/adapters/s3-platform-store.ts.
 */
export interface PlatformStore {
  /** Writes or overwrites one JSON document. */
  putJson(key: string, json: string): Promise<void>;
  /** The document's text; undefined when there is no such key. */
  getJson(key: string): Promise<string | undefined>;
  /** Every key under the prefix, in ascending (S3) key order. */
  listKeys(prefix: string): Promise<string[]>;
}

/** For tests, benchmarks and anything else that needs no bucket. */
export class InMemoryPlatformStore implements PlatformStore {
  readonly documents = new Map<string, string>();

  async putJson(key: string, json: string): Promise<void> {
    this.documents.set(key, json);
  }

  async getJson(key: string): Promise<string | undefined> {
    return this.documents.get(key);
  }

  async listKeys(prefix: string): Promise<string[]> {
    // Code-unit order equals S3's UTF-8 byte order for the ASCII keys the platform writes.
    return [...this.documents.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
}
