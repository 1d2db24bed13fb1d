import { jestProject } from '../../jest.preset';

export default jestProject('fleet', __dirname);
