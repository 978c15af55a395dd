// Covers: every shipped stage config is valid; contradictory settings (overlapping runs, polling longer
// than the run, probabilities out of range) fail synth with a message naming the setting.
import { Duration } from 'aws-cdk-lib';
import { StageConfig, stages, validateStageConfig } from '../../infra/config';

test.each(Object.values(stages))('stage $stageName is valid and in its own namespace', (config) => {
  expect(() => validateStageConfig(config)).not.toThrow();
  expect(config.prefix).toBe(`energy-auction-${config.stageName.toLowerCase()}`);
});

const dev = stages.Dev;
test.each<[string, StageConfig, RegExp]>([
  ['a run as long as the schedule', { ...dev, results: { ...dev.results, runTimeout: Duration.hours(1) } }, /runTimeout must be shorter than results.scheduleRate/],
  ['polling longer than the run', { ...dev, results: { ...dev.results, maxPollAttempts: 60 } }, /pollInterval x results.maxPollAttempts/],
  ['a probability above 1', { ...dev, auction: { ...dev.auction, readyProbability: 1.5 } }, /auction.readyProbability must be between 0 and 1/],
  ['no concurrency', { ...dev, results: { ...dev.results, mapConcurrency: 0 } }, /mapConcurrency must be at least 1/],
])('rejects %s', (_name, config, message) => {
  expect(() => validateStageConfig(config)).toThrow(message);
});
