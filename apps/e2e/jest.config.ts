import { jestProject } from '../../jest.preset';

export default jestProject('e2e', __dirname);
