import { jestProject } from '../../jest.preset';

export default jestProject('http', __dirname);
