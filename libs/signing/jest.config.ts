import { jestProject } from '../../jest.preset';

export default jestProject('signing', __dirname);
