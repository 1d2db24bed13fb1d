import { jestProject } from '../../jest.preset';

export default jestProject('worker', __dirname);
