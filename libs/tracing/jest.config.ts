import { jestProject } from '../../jest.preset';

export default jestProject('tracing', __dirname);
