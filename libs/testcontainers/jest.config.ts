import { jestProject } from '../../jest.preset';

/**
 * Not one of `npm test`'s projects (the root jest.config.ts leaves it out): these tests need a Docker
 * engine and the upshift/* images, so `npm run test:testcontainers` runs them, after
 * `npm run test:deploy` has built the images (docs/adr/0090-testcontainers-module.md).
 */
export default jestProject('testcontainers', __dirname, {
  // Starting eight containers and upgrading a fleet takes minutes on a two-core machine.
  testTimeout: 600_000,
});
