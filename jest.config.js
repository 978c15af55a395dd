/** Separate projects so each layer can run on its own: `npm test -- --selectProjects unit`. */
const transform = { '^.+\\.ts$': 'ts-jest' };
// The SDK's notice that it will need Node 22 in 2027 is for developers, not test output; workers inherit this.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const project = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  transform,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...extra,
});

module.exports = {
  projects: [
    project('unit', { setupFilesAfterEnv: ['<rootDir>/test/unit/setup.ts'] }),
    project('infra'),
    // Runs the synthesized Local stage on the local runtime (child process, free ports, in memory).
    project('e2e', { globalSetup: '<rootDir>/test/e2e/global-setup.ts', setupFilesAfterEnv: ['<rootDir>/test/e2e/setup.ts'] }),
  ],
};
