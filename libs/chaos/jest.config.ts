import { jestProject } from '../../jest.preset';

export default jestProject('chaos', __dirname);
