import { jestProject } from '../../jest.preset';

export default jestProject('testing', __dirname);
