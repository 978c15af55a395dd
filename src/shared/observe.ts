import type { Context } from 'aws-lambda';
import { logger, metrics, tracer } from './powertools';

/**
 * Runs one invocation inside the Powertools envelope every handler needs: Lambda context and cold start
 * in the logs, an X-Ray subsegment named after the function, errors recorded on the trace, metrics
 * flushed and per-invocation log keys cleared whatever happens.
 */
export async function observe<T>(
  name: string,
  context: Context,
  work: () => Promise<T>,
  /** Logs or counts the error while the invocation's log keys and metrics are still open. */
  onError?: (error: Error) => void,
): Promise<T> {
  logger.addContext(context);
  const segment = tracer.getSegment();
  const subsegment = segment?.addNewSubsegment(`## ${name}`);
  if (subsegment) tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  metrics.captureColdStartMetric();
  try {
    return await work();
  } catch (error) {
    onError?.(error as Error);
    tracer.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    subsegment?.close();
    if (segment) tracer.setSegment(segment);
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}
