import { jestProject } from '../../jest.preset';

// E2E suites start the app and talk to PostgreSQL; on a loaded two-core machine 5 s is too tight.
export default jestProject('registry', __dirname);
