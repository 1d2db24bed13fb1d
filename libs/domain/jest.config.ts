import { jestProject } from '../../jest.preset';

export default jestProject('domain', __dirname);
