import { jestProject } from '../../jest.preset';

// The e2e suites start a broker, the registry and the orchestrator: give them time.
export default jestProject('orchestrator', __dirname);
