import { jestProject } from '../../jest.preset';

export default jestProject('contracts', __dirname);
