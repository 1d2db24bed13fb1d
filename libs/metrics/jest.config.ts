import { jestProject } from '../../jest.preset';

export default jestProject('metrics', __dirname);
