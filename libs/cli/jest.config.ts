import { jestProject } from '../../jest.preset';

export default jestProject('cli', __dirname);
