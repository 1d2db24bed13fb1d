import { jestProject } from '../../jest.preset';

export default jestProject('messaging', __dirname);
