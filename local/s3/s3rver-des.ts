import crypto from 'node:crypto';

/**
 * s3rver seals ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17 and later) no
 * longer ships, so every truncated listing (more than MaxKeys objects) answers 500. The token is
 * opaque to clients and only has to come back intact, so 'des' is served by an identity transform.
 * Nothing else asks for DES; worker threads have their own crypto module and are not affected.
 */
export function allowS3rverContinuationTokens(): void {
  const patched = crypto as unknown as { __s3rverDes?: boolean };
  if (patched.__s3rverDes) return;
  patched.__s3rverDes = true;

  const identity = () => {
    const chunks: Buffer[] = [];
    return {
      update(data: string | Buffer, encoding?: BufferEncoding) {
        chunks.push(typeof data === 'string' ? Buffer.from(data, encoding) : data);
        return Buffer.alloc(0);
      },
      final() {
        return Buffer.concat(chunks);
      },
    };
  };
  const originalCipher = crypto.createCipheriv;
  const originalDecipher = crypto.createDecipheriv;
  (crypto as { createCipheriv: unknown }).createCipheriv = (algorithm: string, ...rest: unknown[]) =>
    algorithm === 'des' ? identity() : (originalCipher as (...args: unknown[]) => unknown)(algorithm, ...rest);
  (crypto as { createDecipheriv: unknown }).createDecipheriv = (algorithm: string, ...rest: unknown[]) =>
    algorithm === 'des' ? identity() : (originalDecipher as (...args: unknown[]) => unknown)(algorithm, ...rest);
}
