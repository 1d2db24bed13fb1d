import { jestProject } from '../../jest.preset';

// The pure domain must stay exhaustively tested: `npm test` runs this project with --coverage, which
// prints its line coverage and fails below 95 % (the threshold is in the root jest.config.ts).
export default jestProject('domain', __dirname, {
  collectCoverageFrom: ['<rootDir>/src/**/*.ts', '!<rootDir>/src/**/*.spec.ts'],
  coveragePathIgnorePatterns: ['/node_modules/'],
});
