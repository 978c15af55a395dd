/** Where order results go. The S3 implementation lives in src/adapters; tests and benches may use others. */
export interface ResultStore {
  /** Writes (or overwrites) one JSON document. Throws ResultStoreUnavailable when the store cannot be reached. */
  putJson(key: string, body: string): Promise<void>;
}

/** Reads back what the run wrote (large answers, the Distributed Map's result files). */
export interface ResultReader {
  /** Parses one JSON document. Throws ResultStoreUnavailable when the store cannot be reached. */
  getJson(key: string): Promise<unknown>;
}
